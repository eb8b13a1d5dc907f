// idle_tls.js HOST PORT COUNT SECONDS - opens COUNT TLS connections (certificate
// not checked), completes every handshake, prints "open N" and holds them for
// SECONDS, then closes them all.  For make bench's idle-connection memory row.
'use strict';
const tls = require('tls');

const [host, port, count, seconds] = process.argv.slice(2);
const sockets = [];
let open = 0;
let failed = 0;

function done() {
  console.log(`open ${open} failed ${failed}`);
  setTimeout(() => {
    sockets.forEach((s) => s.destroy());
    process.exit(0);
  }, Number(seconds) * 1000);
}

function one(i) {
  if (i === Number(count)) return;
  const s = tls.connect({ host, port: Number(port), rejectUnauthorized: false,
    servername: 'localhost' }, () => {
    open++;
    if (open + failed === Number(count)) done();
  });
  s.on('error', () => {
    failed++;
    if (open + failed === Number(count)) done();
  });
  sockets.push(s);
  // A few hundred handshakes in flight at a time.
  if (i % 200 === 199) setTimeout(() => one(i + 1), 20);
  else one(i + 1);
}
one(0);
