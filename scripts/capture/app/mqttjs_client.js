// MQTT.js (Debian node-mqtt 4.3) clients for record_mqttjs.py: run with
// NODE_PATH=/usr/share/nodejs node mqttjs_client.js PORT LOGFILE
//
// MQTT.js 4 writes each MQTT packet through ws.createWebSocketStream in several stream writes
// (fixed header, topic, payload...), and each write becomes a WebSocket message of its own: one
// MQTT packet split across several WebSocket messages. The log has two kinds of lines:
//   unit "ws-message"  every WebSocket data message sent or received (hook on ws's
//                      WebSocket.prototype.send and its 'message' events);
//   unit "mqtt-packet" every MQTT packet, parsed by mqtt-packet (the parser MQTT.js itself uses)
//                      fed with the WebSocket messages of that connection and direction in order;
//                      ts_ns is that of the message that completed the packet, `ws_seq` the
//                      0-based indexes (per connection and direction) of the first and last
//                      WebSocket message that carried it.
'use strict'
const crypto = require('crypto')
const fs = require('fs')
const { performance } = require('perf_hooks')
const WebSocket = require('ws')
const mqtt = require('mqtt')
const mqttPacket = require('mqtt-packet')

const [port, logPath] = process.argv.slice(2)
const out = fs.openSync(logPath, 'a')
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))

function write (obj) {
  fs.writeSync(out, JSON.stringify(obj, (k, v) => typeof v === 'bigint' ? Number(v) : v) + '\n')
}

function payloadFields (buf, dataB64) {
  const o = { len: buf.length, sha256: crypto.createHash('sha256').update(buf).digest('hex') }
  if (dataB64 && buf.length <= 2048) o.data_b64 = buf.toString('base64')
  return o
}

// Clients connect one after the other, so a WebSocket first seen while client X is connecting is X's.
const roles = new Map() // ws -> client id
const sockets = new Map() // client id -> ws
let connecting = 'mqttjs'
const versions = new Map() // client id -> MQTT protocol version
const parsers = new Map() // ws -> { sent: state, received: state }

// Feeds one WebSocket message to the MQTT parser of its connection and direction.
function feed (ws, dir, buf, ts) {
  if (!parsers.has(ws)) parsers.set(ws, {})
  const all = parsers.get(ws)
  if (!all[dir]) {
    const st = { seq: 0, first: null, parser: mqttPacket.parser({ protocolVersion: versions.get(role(ws)) || 4 }) }
    st.parser.on('packet', (pk) => {
      const clientId = role(ws)
      write({ ts_ns: st.ts, logged_by: clientId, dir, ...conn(ws), unit: 'mqtt-packet', mqtt_version: versions.get(clientId) === 5 ? '5' : '3.1.1', ws_seq: [st.first, st.seq], ...packetFields(pk) })
      st.first = null
    })
    st.parser.on('error', (e) => write({ ts_ns: ts, logged_by: role(ws), dir, ...conn(ws), unit: 'mqtt-parse-error', error: String(e) }))
    all[dir] = st
  }
  const st = all[dir]
  if (st.first === null) st.first = st.seq
  st.ts = ts
  st.parser.parse(buf)
  // a packet that is still incomplete keeps `first`; the next message continues it
  st.seq += 1
}
function role (ws) {
  if (!roles.has(ws)) {
    roles.set(ws, connecting)
    sockets.set(connecting, ws)
  }
  return roles.get(ws)
}
function conn (ws) {
  return { client_port: ws._socket ? ws._socket.localPort : null, server_port: Number(port) }
}

const origSend = WebSocket.prototype.send
WebSocket.prototype.send = function (data, options, cb) {
  const ts = nowNs()
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data)
  const binary = !(typeof data === 'string') && !(options && options.binary === false)
  write({ ts_ns: ts, logged_by: role(this), dir: 'sent', ...conn(this), opcode: binary ? 'binary' : 'text', ...payloadFields(buf, true), unit: 'ws-message' })
  feed(this, 'sent', buf, ts)
  return origSend.call(this, data, options, cb)
}
const origEmit = WebSocket.prototype.emit
WebSocket.prototype.emit = function (event, ...args) {
  if (event === 'message') {
    const [data, isBinary] = args
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
    const ts = nowNs()
    write({ ts_ns: ts, logged_by: role(this), dir: 'received', ...conn(this), opcode: isBinary ? 'binary' : 'text', ...payloadFields(buf, true), unit: 'ws-message' })
    feed(this, 'received', buf, ts)
  }
  return origEmit.call(this, event, ...args)
}

function packetFields (p) {
  const o = { mqtt_type: p.cmd.toUpperCase() }
  for (const k of ['topic', 'qos', 'retain', 'dup', 'messageId', 'returnCode', 'reasonCode', 'sessionPresent', 'clientId', 'keepalive', 'protocolVersion', 'clean', 'granted', 'properties']) {
    if (p[k] !== undefined) o[k === 'messageId' ? 'packet_id' : k] = p[k]
  }
  if (p.subscriptions) o.topics = p.subscriptions.map(s => ({ topic: s.topic, qos: s.qos }))
  if (p.unsubscriptions) o.topics = p.unsubscriptions.map(t => ({ topic: t }))
  if (p.will) o.will = { topic: p.will.topic, qos: p.will.qos, retain: p.will.retain }
  if (p.payload !== undefined && p.cmd === 'publish') {
    const buf = Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload)
    o.payload_len = buf.length
    o.payload_sha256 = crypto.createHash('sha256').update(buf).digest('hex')
    if (buf.length <= 256) o.payload_text = buf.toString('utf8')
  }
  return o
}

function client (clientId, version, extra) {
  connecting = clientId
  versions.set(clientId, version)
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`ws://127.0.0.1:${port}/mqtt`, { clientId, protocolVersion: version, reconnectPeriod: 0, keepalive: 30, ...extra })
    c.once('connect', () => resolve(c))
    c.once('error', reject)
  })
}

const wait = (ms) => new Promise(resolve => setTimeout(resolve, ms))
const p = (f) => new Promise((resolve, reject) => f((err, r) => err ? reject(err) : resolve(r)))

async function main () {
  const sub = await client('mqttjs-sub-311', 4, { will: { topic: 'mqttjs/will', payload: 'gone', qos: 1, retain: false } })
  const got = []
  sub.on('message', (topic, payload, packet) => {
    got.push(topic)
    write({ ts_ns: nowNs(), logged_by: 'mqttjs-sub-311', dir: 'app', what: 'on_message', topic, qos: packet.qos, retain: packet.retain, packet_id: packet.messageId, payload_sha256: crypto.createHash('sha256').update(payload).digest('hex') })
  })
  await p(cb => sub.subscribe({ 'js/#': { qos: 2 }, 'retained-js/#': { qos: 1 } }, cb))
  const pub = await client('mqttjs-pub-5', 5, { properties: { sessionExpiryInterval: 30, userProperties: { app: 'wstap' } } })
  await p(cb => pub.publish('js/qos0', 'zero', { qos: 0 }, cb))
  await p(cb => pub.publish('js/qos1', 'one', { qos: 1, properties: { contentType: 'text/plain', userProperties: { unit: 'C' } } }, cb))
  await p(cb => pub.publish('js/qos2', Buffer.from([0, 1, 2, 255]), { qos: 2 }, cb))
  await p(cb => pub.publish('retained-js/config', '{"rate":5}', { qos: 1, retain: true }, cb))
  await p(cb => pub.publish('js/big', Buffer.alloc(70000, 'x'), { qos: 1 }, cb))
  for (let i = 0; i < 50 && got.length < 5; i++) await wait(100)
  await p(cb => sub.unsubscribe('js/#', cb))
  await p(cb => pub.end(false, { reasonCode: 0 }, cb))
  await p(cb => sub.end(false, {}, cb))
  await wait(200)
  write({ ts_ns: nowNs(), logged_by: 'mqttjs', dir: 'app', what: 'done', received_topics: got })
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })
