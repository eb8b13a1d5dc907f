// ws_echo.js PORT - a WebSocket echo server on 127.0.0.1:PORT for the tunnel
// tests.  It echoes every message, answers "headers" with the handshake's
// request headers as JSON, and "bye" by closing from the server side.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('connection', (ws, req) => {
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text === 'headers') ws.send(JSON.stringify(req.headers));
    else if (text === 'bye') ws.close(1000, 'bye');
    else ws.send(data, { binary: isBinary });
  });
});
wss.on('listening', () => console.log('listening'));
