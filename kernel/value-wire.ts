// An invoke's answer read straight from the wire into plain JavaScript. The
// answer of a sidecar or wasm module is decoded on every call, and decoding it
// into protobuf-es messages first (every Value a message object, every map a
// record of them) and then converting those (values.ts valueToJs) was most of
// the kernel's work for a large answer: a search's twenty results cost more
// to decode than to find (bench/README.md, "Where the time goes: wasm").
// The result is what fromBinary + valueToJs give, refusals included
// (kernel/value-wire.test.ts compares the two on generated values).
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { MAX_VALUE_DEPTH, refuseValue, type JsRecord, type JsValue } from './values.ts';

/**
 * Reads a microcore.v1.Value of `length` bytes at the reader's position.
 * `where` names it in a refusal ('value', as valueToJs does); the keys and
 * indexes below it are kept on a stack and joined only for a refusal, since
 * building a path string per value cost as much as reading the value.
 */
export function readValue(r: BinaryReader, length: number, where: string): JsValue {
  path.length = 0;
  return readAny(r, length, where, 0);
}

const path: (string | number)[] = [];

function refuse(where: string, what: string) {
  return refuseValue(where + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join(''), what);
}

function readAny(r: BinaryReader, length: number, where: string, depth: number): JsValue {
  const end = within(r, length);
  let out: JsValue = null;
  while (r.pos < end) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1:
        r.int32();
        out = null;
        break;
      case 2:
        out = r.bool();
        break;
      case 3:
        out = r.int64() as bigint;
        break;
      case 4:
        out = r.double();
        break;
      case 5:
        out = r.string();
        break;
      case 6:
        out = r.bytes();
        break;
      case 7:
      case 8:
        if (depth >= MAX_VALUE_DEPTH) throw refuse(where, `nested deeper than ${MAX_VALUE_DEPTH} lists and maps`);
        out = field === 7 ? readList(r, r.uint32(), where, depth + 1) : readMap(r, r.uint32(), where, depth + 1);
        break;
      default:
        r.skip(wire);
    }
  }
  return out;
}

function readList(r: BinaryReader, length: number, where: string, depth: number): JsValue[] {
  const end = within(r, length);
  const out: JsValue[] = [];
  while (r.pos < end) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) {
      path.push(out.length);
      out.push(readAny(r, r.uint32(), where, depth));
      path.pop();
    } else r.skip(wire);
  }
  return out;
}

function readMap(r: BinaryReader, length: number, where: string, depth: number): JsRecord {
  const end = within(r, length);
  const out: JsRecord = {};
  while (r.pos < end) {
    const [field, wire] = r.tag();
    if (field !== 1 || wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    // One map entry: key (1), value (2), in either order, either absent.
    const entryEnd = within(r, r.uint32());
    let key = '';
    let valueAt = -1;
    let valueLength = 0;
    while (r.pos < entryEnd) {
      const [f, w] = r.tag();
      if (f === 1 && w === WireType.LengthDelimited) key = r.string();
      else if (f === 2 && w === WireType.LengthDelimited) {
        valueLength = r.uint32();
        valueAt = r.pos;
        r.pos += valueLength;
      } else r.skip(w);
    }
    path.push(key);
    if (key === '__proto__') throw refuse(where, 'a key named __proto__');
    if (valueAt < 0) out[key] = null;
    else {
      const after = r.pos;
      r.pos = valueAt;
      out[key] = readAny(r, valueLength, where, depth);
      r.pos = after;
    }
    path.pop();
  }
  return out;
}

/** Where a length-delimited field that starts here ends; past the buffer is a broken message. */
export function within(r: BinaryReader, length: number): number {
  const end = r.pos + length;
  if (end > r.len) throw new Error(`premature end of message: a field of ${length} bytes at ${r.pos}, ${r.len - r.pos} left`);
  return end;
}

