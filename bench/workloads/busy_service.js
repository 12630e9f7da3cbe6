// SPDX-License-Identifier: MIT
// A Node service for the busy-host figure: an HTTP server on loopback and a client in the same
// process sending it requests of mixed work (JSON, strings, regular expressions, sorting).
'use strict';
const http = require('http');

function work(n) {
  const doc = {};
  for (let i = 0; i < n; i++) doc['k' + i] = { i, s: String(i * 7919), t: ['a', 'b', i % 13] };
  const text = JSON.stringify(doc);
  const back = JSON.parse(text);
  const words = text.match(/[a-z]+[0-9]*/g) || [];
  const keys = Object.keys(back).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return words.length + keys.length;
}

const server = http.createServer((req, res) => {
  const n = 200 + (Number(req.url.slice(1)) || 0) % 300;
  res.end(String(work(n)));
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  let i = 0;
  const next = () => {
    http.get({ host: '127.0.0.1', port, path: '/' + i++ }, (res) => {
      res.resume();
      res.on('end', () => setTimeout(next, 10));
    }).on('error', () => setTimeout(next, 100));
  };
  next();
});
