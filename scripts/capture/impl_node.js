// impl_node.js — Node `ws` (Debian node-ws) server and client in one process, for
// scripts/capture/implementations.py. Runs the shared conversation (implementations.py's
// docstring) over two connections: uncompressed, then permessage-deflate with no context takeover
// both ways. Every message is logged by the peer that sends it, before sending, as one truth line
// (format: implementations.py). Usage: node impl_node.js PORT TRUTH.jsonl
'use strict';
const WebSocket = require('/usr/share/nodejs/ws');
const crypto = require('crypto');
const fs = require('fs');

const port = Number(process.argv[2]);
const out = fs.openSync(process.argv[3], 'a');
const ROUNDS = 12;
const BIG = { client: { 3: 66000, 8: 90000 }, server: { 5: 150000, 10: 70000 } };

function endpoint(addr, p) { return `${addr.replace('::ffff:', '')}:${p}`; }
function log(ws, from, opcode, data, compressed, extra = {}) {
  const line = { client: ws._truthClient, server: ws._truthServer, from, opcode, compressed, context_takeover: false,
    length: data.length, fragments: extra.fragments || 1, auto: !!extra.auto, ts: Date.now() / 1000,
    logged_by: `node-ws-${from}` };
  if (data.length <= 4096) line.data_b64 = Buffer.from(data).toString('base64');
  else line.fnv1a64 = fnv1a64(data);
  if (extra.code !== undefined) { line.code = extra.code; line.reason = extra.reason; }
  fs.writeSync(out, JSON.stringify(line) + '\n');
}
function fnv1a64(data) {
  let value = 0xcbf29ce484222325n;
  for (const byte of data) value = ((value ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return value.toString(16).padStart(16, '0');
}
function payload(size, compressible) {
  const b = crypto.randomBytes(size);
  if (compressible) for (let i = 0; i < size; i++) b[i] &= 0x0f;
  return b;
}
const deflate = { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };

function runConnection(compressed) {
  return new Promise((resolve) => {
    const server = new WebSocket.Server({ port, host: '127.0.0.1', perMessageDeflate: compressed ? deflate : false });
    server.on('connection', (ws, req) => {
      ws._truthClient = endpoint(req.socket.remoteAddress, req.socket.remotePort);
      ws._truthServer = endpoint(req.socket.localAddress, req.socket.localPort);
      let round = 0;
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const size = BIG.server[round];
        if (size) { const b = payload(size, compressed); log(ws, 'server', 'binary', b, compressed); ws.send(b); }
        const text = Buffer.from(`server reply ${round} ✓ ${'x'.repeat(round * 7)}`);
        log(ws, 'server', 'text', text, compressed); ws.send(text.toString());
        round += 1;
      });
      ws.on('close', (code, reason) => {
        log(ws, 'server', 'close', Buffer.concat([Buffer.from([code >> 8, code & 255]), reason]), false,
          { auto: true, code, reason: reason.toString() });
      });
    });
    server.on('listening', () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: compressed ? deflate : false });
      ws.on('open', () => {
        ws._truthClient = endpoint(ws._socket.localAddress, ws._socket.localPort);
        ws._truthServer = endpoint(ws._socket.remoteAddress, ws._socket.remotePort);
        let round = 0;
        let closing = false;
        const step = () => {
          // The server answers the fragmented round twice, so the client is called once more than
          // it has rounds: close (and log the close) once only.
          if (closing) return;
          if (round === ROUNDS) {
            closing = true;
            const reason = 'client done';
            log(ws, 'client', 'close', Buffer.concat([Buffer.from([3, 232]), Buffer.from(reason)]), false, { code: 1000, reason });
            ws.close(1000, reason);
            return;
          }
          const size = BIG.client[round];
          if (size) { const b = payload(size, compressed); log(ws, 'client', 'binary', b, compressed); ws.send(b); }
          if (round === 6) {
            // A fragmented text message in three frames.
            const parts = ['frag-one ', 'frag-two ', 'frag-three'];
            log(ws, 'client', 'text', Buffer.from(parts.join('')), compressed, { fragments: 3 });
            parts.forEach((p, i) => ws.send(p, { fin: i === parts.length - 1 }));
          }
          const text = Buffer.from(`client says ${round} — ${'y'.repeat(round * 5)}`);
          log(ws, 'client', 'text', text, compressed); ws.send(text.toString());
          round += 1;
        };
        ws.on('message', (data, isBinary) => { if (!isBinary) setTimeout(step, 5); });
        step();
      });
      ws.on('close', () => server.close(() => resolve()));
    });
  });
}

(async () => {
  await runConnection(false);
  await runConnection(true);
  setTimeout(() => fs.closeSync(out), 300);
})();
