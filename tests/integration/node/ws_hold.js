// ws_hold.js URL [COOKIE] - opens a WebSocket (TLS certificate not checked:
// the tests use a throwaway one) with the Cookie header given, prints
// "open", echoes a ping message every 500 ms so that the tunnel is busy,
// and when the server closes prints "closed CODE REASON AT" (AT: the
// epoch time in ms) and exits 0.  Exits 1 on a failed handshake.
'use strict';
const WebSocket = require('ws');

const [url, cookie] = process.argv.slice(2);
const headers = cookie ? { Cookie: cookie } : {};
const ws = new WebSocket(url, { rejectUnauthorized: false, handshakeTimeout: 5000, headers });

ws.on('open', () => {
  console.log('open');
  setInterval(() => ws.send('tick'), 500);
});
ws.on('message', () => {});
ws.on('close', (code, reason) => {
  console.log(`closed ${code} ${reason.toString().replace(/\s/g, '_') || '-'} ${Date.now()}`);
  process.exit(0);
});
ws.on('unexpected-response', (req, res) => {
  console.log(`refused ${res.statusCode}`);
  process.exit(1);
});
ws.on('error', (e) => {
  console.log(`error ${e.message}`);
  process.exit(1);
});
