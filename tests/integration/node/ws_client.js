// ws_client.js URL MESSAGE... - opens a WebSocket (TLS certificate not
// checked: the tests use a throwaway one), sends each MESSAGE in turn and
// prints each reply on a line.  "big:N" sends N random bytes and prints
// "big:N ok" if the same bytes come back.  Exits 0 when done, 1 on error,
// 2 when the server closed first (then prints "closed CODE").
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');

const [url, ...messages] = process.argv.slice(2);
const ws = new WebSocket(url, { rejectUnauthorized: false, handshakeTimeout: 5000 });
let i = 0;
let expectBig = null;

function next() {
  if (i === messages.length) {
    ws.close(1000);
    return;
  }
  const m = messages[i++];
  if (m.startsWith('big:')) {
    expectBig = crypto.randomBytes(Number(m.slice(4)));
    ws.send(expectBig);
  } else {
    ws.send(m);
  }
}

ws.on('open', next);
ws.on('message', (data, isBinary) => {
  if (expectBig) {
    console.log(`big:${expectBig.length} ${Buffer.compare(expectBig, data) === 0 ? 'ok' : 'differs'}`);
    expectBig = null;
  } else {
    console.log(isBinary ? '<binary>' : data.toString());
  }
  next();
});
ws.on('close', (code) => {
  if (i < messages.length || code !== 1000 || messages[messages.length - 1] === 'bye') {
    console.log(`closed ${code}`);
    process.exit(2);
  }
  process.exit(0);
});
ws.on('unexpected-response', (req, res) => {
  console.log(`status ${res.statusCode}`);
  process.exit(1);
});
ws.on('error', (e) => {
  console.log(`error ${e.message}`);
  process.exit(1);
});
