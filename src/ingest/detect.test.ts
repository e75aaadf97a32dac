import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectProtocol } from './detect.js';

function sflowHeader(addrType: number, version = 5): Buffer {
  const addrLen = addrType === 2 ? 16 : 4;
  const b = Buffer.alloc(8 + addrLen + 16);
  b.writeUInt32BE(version, 0);
  b.writeUInt32BE(addrType, 4);
  b.writeUInt32BE(0, 8 + addrLen); // sub agent
  b.writeUInt32BE(1, 12 + addrLen); // sequence
  return b;
}

function netflow5(count: number, records = count): Buffer {
  const b = Buffer.alloc(24 + 48 * records);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(count, 2);
  return b;
}

describe('detectProtocol', () => {
  it('detects sFlow v5 with IPv4 and IPv6 agents', () => {
    assert.equal(detectProtocol(sflowHeader(1)), 'sflow5');
    assert.equal(detectProtocol(sflowHeader(2)), 'sflow5');
    assert.equal(detectProtocol(Buffer.concat([sflowHeader(1), Buffer.alloc(100)])), 'sflow5');
  });

  it('rejects sFlow-like payloads with other versions, address types or too short', () => {
    assert.equal(detectProtocol(sflowHeader(0)), 'unknown');
    assert.equal(detectProtocol(sflowHeader(3)), 'unknown');
    assert.equal(detectProtocol(sflowHeader(1, 4)), 'unknown'); // sFlow v4
    assert.equal(detectProtocol(sflowHeader(1).subarray(0, 27)), 'unknown');
    assert.equal(detectProtocol(sflowHeader(2).subarray(0, 39)), 'unknown');
  });

  it('detects NetFlow v5 by count and length', () => {
    assert.equal(detectProtocol(netflow5(1)), 'netflow5');
    assert.equal(detectProtocol(netflow5(30)), 'netflow5');
    assert.equal(detectProtocol(netflow5(0)), 'unknown');
    assert.equal(detectProtocol(netflow5(31)), 'unknown');
    assert.equal(detectProtocol(netflow5(3, 2)), 'unknown'); // shorter than the count says
  });

  it('does not confuse sFlow 0x00000005 with NetFlow 0x0005', () => {
    const sflow = sflowHeader(1);
    assert.equal(sflow.readUInt16BE(0), 0);
    assert.equal(detectProtocol(sflow), 'sflow5');
    // NetFlow v5 header whose count field happens to be 0 then 1: u32 0x00050000 is not sFlow
    const nf = netflow5(1);
    assert.equal(nf.readUInt32BE(0), 0x00050001);
    assert.equal(detectProtocol(nf), 'netflow5');
  });

  it('detects IPFIX and NetFlow v9', () => {
    const ipfix = Buffer.alloc(16);
    ipfix.writeUInt16BE(10, 0);
    ipfix.writeUInt16BE(16, 2);
    assert.equal(detectProtocol(ipfix), 'ipfix');
    ipfix.writeUInt16BE(15, 2);
    assert.equal(detectProtocol(ipfix), 'unknown');
    assert.equal(detectProtocol(ipfix.subarray(0, 15)), 'unknown');
    const v9 = Buffer.alloc(20);
    v9.writeUInt16BE(9, 0);
    assert.equal(detectProtocol(v9), 'netflow9');
    assert.equal(detectProtocol(v9.subarray(0, 19)), 'unknown');
  });

  it('returns unknown for empty, short and other payloads', () => {
    assert.equal(detectProtocol(new Uint8Array(0)), 'unknown');
    assert.equal(detectProtocol(Uint8Array.of(0, 10, 0)), 'unknown');
    assert.equal(detectProtocol(Buffer.from('GET / HTTP/1.1\r\n\r\n')), 'unknown');
    const v1 = Buffer.alloc(64);
    v1.writeUInt16BE(1, 0);
    v1.writeUInt16BE(1, 2);
    assert.equal(detectProtocol(v1), 'unknown'); // NetFlow v1
  });
});
