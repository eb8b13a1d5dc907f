// raw_backend.js PORT - a deliberately unusual HTTP backend on 127.0.0.1,
// written on raw sockets so that it can answer what real servers rarely
// do.  The request path picks the answer:
//   /close/N      200 with no length: N bytes, then the connection closes
//   /short/N      Content-Length N, but only N/2 bytes, then close
//   /garbage      a response head that is not HTTP
//   /hints        103 Early Hints, then 200 "ok"
//   /interim100   100 Continue, then 200 "ok" (nobody asked for the 100)
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
const server = net.createServer((sock) => {
  let head = '';
  sock.on('data', (d) => {
    head += d.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const path = head.split(' ')[1] || '/';
    const [, what, n] = path.split('/');
    const size = Number(n || 0);
    if (what === 'close') {
      sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n');
      const block = Buffer.alloc(64 * 1024, 'x');
      let left = size;
      const more = () => {
        while (left > 0) {
          const part = block.subarray(0, Math.min(left, block.length));
          left -= part.length;
          if (!sock.write(part)) { sock.once('drain', more); return; }
        }
        sock.end();
      };
      more();
    } else if (what === 'short') {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      sock.end(Buffer.alloc(size / 2, 'y'));
    } else if (what === 'garbage') {
      sock.end('SMTP ready\r\n\r\n');
    } else if (what === 'hints') {
      sock.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      sock.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');
    } else if (what === 'interim100') {
      sock.write('HTTP/1.1 100 Continue\r\n\r\n');
      sock.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');
    } else {
      sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
    head = '';
  });
  sock.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => console.log('listening'));
