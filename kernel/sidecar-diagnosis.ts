// Why a sidecar did not start, in the terms a reader can act on: does the command
// exist, may we run it, whose is it, is it built for this machine.
import { accessSync, constants, openSync, readSync, closeSync, statSync } from 'node:fs';

const ELF_MACHINES: Record<number, string> = { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'arm', 0x03: 'ia32' };

export function diagnoseCommand(path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return `${path} does not exist (not built? run npm run build)`;
  }
  const facts = [`${path} exists`];
  try {
    accessSync(path, constants.X_OK);
    facts.push('is executable');
  } catch {
    facts.push('is NOT executable (chmod +x it)');
  }
  const uid = process.getuid?.();
  facts.push(`owner uid ${stat.uid}${uid === undefined ? '' : `, kernel runs as uid ${uid}`}`);
  const arch = elfArch(path);
  if (arch) facts.push(arch === process.arch ? `built for ${arch} like this machine` : `built for ${arch} but this machine is ${process.arch}`);
  return facts.join(', ');
}

function elfArch(path: string): string | undefined {
  const header = Buffer.alloc(20);
  let fd;
  try {
    fd = openSync(path, 'r');
    readSync(fd, header, 0, 20, 0);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return ELF_MACHINES[header.readUInt16LE(18)] ?? `machine 0x${header.readUInt16LE(18).toString(16)}`;
}
