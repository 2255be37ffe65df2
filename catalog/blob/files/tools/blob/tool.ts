// The blob tool on a directory (BLOB_DIR, default data/blobs under the project
// root): each blob is one file at BLOB_DIR/<key>, a one-line header (MCBLOB1
// and JSON: size, sha256, content type, time) followed by the bytes. One file,
// so one rename replaces data and metadata together: a Put writes a hidden temp
// file beside the target, syncs it and renames it over, and a reader holding
// the old file keeps reading the old blob. Keys are checked by ./rules.ts; no
// symbolic link inside BLOB_DIR is followed (a key whose path meets one is
// refused), and every path is checked to stay under BLOB_DIR's real path.
// With DATABASE_URL=postgres://… the store is tools/blob-postgres instead.
import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { mcError, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { KernelLog } from '../../kernel/index.ts';
import type { BlobDeleteRequest, BlobGetRequest, BlobListRequest, BlobPutRequest } from '../../proto/gen/microcore/v1/blob_pb.js';
import { isPostgresUrl } from '../db-common/database-url.ts';
import { badKey, blobLimits, checkKey, checkListText, checkSize, compareKeys, contentType, folderConflict, keyRule, listLimit, readRange, sha256, type BlobLimits } from './rules.ts';

const MAGIC = 'MCBLOB1 ';
/** Header lines are short (a content type is at most 255 bytes); a longer one is not ours. */
const HEADER_MAX = 2048;

interface Header {
  size: number;
  sha256: string;
  contentType: string;
  modifiedMs: number;
}

export default class DirectoryBlob implements ToolMethods<'blob'> {
  static readonly contract = 'blob';
  static enabled(env: ToolContext['env']): boolean {
    return !isPostgresUrl(env.DATABASE_URL);
  }
  #root = '';
  #limits!: BlobLimits;
  #log?: KernelLog;

  async setup(ctx: ToolContext): Promise<void> {
    this.#limits = blobLimits(ctx.env);
    this.#log = ctx.log;
    const dir = resolve(ctx.root, ctx.env.BLOB_DIR || 'data/blobs');
    try {
      await mkdir(dir, { recursive: true });
      // BLOB_DIR itself may be a link (to another disk, say): its real path is the fence.
      this.#root = await realpath(dir);
    } catch (err) {
      throw mcError('MC_ERR_TOOL_SETUP', `the blob tool cannot use the directory ${dir}: ${(err as Error).message}`, { setting: 'BLOB_DIR' }, err, 'Point BLOB_DIR at a directory the kernel may create and write (default data/blobs under the project root).');
    }
  }

  async put(input: Plain<BlobPutRequest>, call: CallContext) {
    const segments = checkKey(input.key, call, 'put');
    const type = contentType(input.contentType, call, input.key);
    checkSize(input.data, this.#limits, call, input.key);
    const header: Header = { size: input.data.length, sha256: sha256(input.data), contentType: type, modifiedMs: Date.now() };
    const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
    // A Delete pruning the empty folder between our mkdir and our temp file: once more.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#write(segments, input.key, head, input.data, call);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw this.#fsError(err, 'put', input.key, call);
      }
    }
    return { size: BigInt(header.size), sha256: header.sha256 };
  }

  async get(input: Plain<BlobGetRequest>, call: CallContext) {
    const segments = checkKey(input.key, call, 'get');
    const path = await this.#path(segments, input.key, call, 'get');
    const missing = { found: false, data: new Uint8Array(), contentType: '', size: 0n, sha256: '' };
    if (!path) return missing;
    let file: FileHandle;
    try {
      file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return missing;
      throw this.#fsError(err, 'get', input.key, call);
    }
    try {
      if (!(await file.stat()).isFile()) return missing;
      const { header, offset } = await this.#header(file, input.key, call);
      const range = readRange(input, header.size, this.#limits, call, input.key);
      const data = new Uint8Array(range.length);
      let read = 0;
      while (read < range.length) {
        const { bytesRead } = await file.read(data, read, range.length - read, offset + range.start + read);
        if (bytesRead === 0) throw this.#damaged(input.key, call, 'it is shorter than its header says');
        read += bytesRead;
      }
      return { found: true, data, contentType: header.contentType, size: BigInt(header.size), sha256: header.sha256 };
    } finally {
      await file.close();
    }
  }

  async list(input: Plain<BlobListRequest>, call: CallContext) {
    checkListText(input, call);
    const limit = listLimit(input, call);
    const items: { key: string; size: bigint; contentType: string; modifiedMs: bigint }[] = [];
    await this.#walk(this.#root, '', { prefix: input.prefix, after: input.after, want: limit + 1 }, items, call);
    const more = items.length > limit;
    if (more) items.length = limit;
    return { items, next: more ? items[limit - 1]!.key : '' };
  }

  async delete(input: Plain<BlobDeleteRequest>, call: CallContext) {
    const segments = checkKey(input.key, call, 'delete');
    const path = await this.#path(segments, input.key, call, 'delete');
    if (!path) return { deleted: false };
    try {
      await unlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A folder of other keys (EISDIR), or nothing there: no blob had the key.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return { deleted: false };
      throw this.#fsError(err, 'delete', input.key, call);
    }
    // Folders left empty go, so a later Put may use their names as blobs.
    for (let dir = dirname(path); dir !== this.#root && dir.startsWith(this.#root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
    return { deleted: true };
  }

  /**
   * The file of a key once its folders are checked: no symbolic link on the
   * way (MC_ERR_INVALID_ARGUMENT, rule symlink), undefined when a folder is
   * missing or is a blob's file. The final name is checked by its open
   * (O_NOFOLLOW) or by #write.
   */
  async #path(segments: string[], key: string, call: CallContext, method: string): Promise<string | undefined> {
    let dir = this.#root;
    for (const segment of segments.slice(0, -1)) {
      dir = join(dir, segment);
      const kind = await this.#kind(dir, key, call, method);
      if (kind !== 'dir') return undefined;
    }
    const path = join(dir, segments.at(-1)!);
    await this.#kind(path, key, call, method);
    return path;
  }

  /** What is at `path` (not following a link: a link is refused). */
  async #kind(path: string, key: string, call: CallContext, method: string): Promise<'dir' | 'file' | 'none'> {
    try {
      const s = await lstat(path);
      if (s.isSymbolicLink()) {
        // Followed, it could lead anywhere; the message says where, which is what the operator must look at.
        const target = await realpath(path).catch(() => '(a missing target)');
        const outside = target !== this.#root && !target.startsWith(this.#root + sep);
        throw badKey(key, call, method, 'symlink', `meets the symbolic link ${relative(this.#root, path)} in BLOB_DIR (to ${target}${outside ? ', outside BLOB_DIR' : ''}); the blob store follows no link`);
      }
      return s.isDirectory() ? 'dir' : 'file';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
      throw err;
    }
  }

  async #write(segments: string[], key: string, head: Buffer, data: Uint8Array, call: CallContext): Promise<void> {
    let dir = this.#root;
    for (const [i, segment] of segments.slice(0, -1).entries()) {
      dir = join(dir, segment);
      const kind = await this.#kind(dir, key, call, 'put');
      if (kind === 'file') throw folderConflict(key, call, segments.slice(0, i + 1).join('/'));
      if (kind === 'none') await mkdir(dir, { recursive: true });
    }
    // Belt and braces: whatever a race made of the folders, the file lands under BLOB_DIR.
    const real = await realpath(dir);
    if (real !== this.#root && !real.startsWith(this.#root + sep)) throw badKey(key, call, 'put', 'symlink', `resolves to ${real}, outside BLOB_DIR`);
    const path = join(dir, segments.at(-1)!);
    if ((await this.#kind(path, key, call, 'put')) === 'dir') {
      // Folders are pruned when emptied, so one still there holds keys (or a Put in flight).
      await rmdir(path).catch(() => {
        throw folderConflict(key, call);
      });
    }
    // Hidden (no key starts with '.'), so List never shows it; short, so a 255-byte name still fits.
    const temp = join(dir, `.mcblob-${randomBytes(8).toString('hex')}.tmp`);
    let file: FileHandle | undefined;
    try {
      file = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      await file.writev([head, data]);
      await file.sync();
      await file.close();
      file = undefined;
      await rename(temp, path);
    } catch (err) {
      await file?.close().catch(() => {});
      await rm(temp, { force: true }).catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') throw folderConflict(key, call);
      throw err;
    }
  }

  async #header(file: FileHandle, key: string, call: CallContext): Promise<{ header: Header; offset: number }> {
    const buf = Buffer.alloc(HEADER_MAX);
    const { bytesRead } = await file.read(buf, 0, HEADER_MAX, 0);
    const end = buf.subarray(0, bytesRead).indexOf(0x0a);
    const line = end < 0 ? '' : buf.toString('utf8', 0, end);
    if (!line.startsWith(MAGIC)) throw this.#damaged(key, call, `it has no ${MAGIC.trim()} header (a file put there by hand?)`);
    try {
      return { header: JSON.parse(line.slice(MAGIC.length)) as Header, offset: end + 1 };
    } catch (err) {
      throw this.#damaged(key, call, `its header is not JSON: ${(err as Error).message}`);
    }
  }

  async #walk(dir: string, keyPrefix: string, o: { prefix: string; after: string; want: number }, out: unknown[], call: CallContext): Promise<boolean> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw this.#fsError(err, 'list', keyPrefix, call);
    }
    // Sorted as their keys sort: a folder's keys all start with its name and '/'.
    const named = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && !keyRule(keyPrefix + e.name))
      .map((e) => ({ e, order: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => compareKeys(a.order, b.order));
    for (const { e } of named) {
      const key = keyPrefix + e.name;
      if (e.isDirectory()) {
        const sub = `${key}/`;
        if (!sub.startsWith(o.prefix) && !o.prefix.startsWith(sub)) continue;
        // Every key inside sorts after `sub`; all of them are at or before `after` only when `after` is past the folder.
        if (o.after && compareKeys(sub, o.after) < 0 && !o.after.startsWith(sub)) continue;
        if (await this.#walk(join(dir, e.name), sub, o, out, call)) return true;
        continue;
      }
      if (!key.startsWith(o.prefix) || (o.after && compareKeys(key, o.after) <= 0)) continue;
      const item = await this.#item(join(dir, e.name), key);
      if (!item) continue;
      out.push(item);
      if (out.length >= o.want) return true;
    }
    return false;
  }

  /** A listed blob, or undefined (logged) for a file that is not one (no header) or went away meanwhile. */
  async #item(path: string, key: string) {
    let file: FileHandle;
    try {
      file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    try {
      const { header } = await this.#header(file, key, { caller: 'tool/blob', traceId: '' });
      return { key, size: BigInt(header.size), contentType: header.contentType, modifiedMs: BigInt(header.modifiedMs) };
    } catch (err) {
      this.#log?.warn(`blob: ${path} is not a blob file, left out of List`, { error: (err as Error).message });
      return undefined;
    } finally {
      await file.close();
    }
  }

  #damaged(key: string, call: CallContext, why: string): Error {
    return mcError('MC_ERR_CONFLICT', `${call.caller} blob: BLOB_DIR/${key} is not a blob file the blob tool wrote: ${why}`, { key, setting: 'BLOB_DIR' }, undefined, 'Remove the file (or Put the key again): only the blob tool writes inside BLOB_DIR.');
  }

  /** A file system failure as a coded error; coded errors (a refusal, a conflict) pass unchanged. */
  #fsError(err: unknown, method: string, key: string, call: CallContext): Error {
    if ((err as { code?: string }).code?.startsWith('MC_')) return err as Error;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP') return badKey(key, call, method, 'symlink', 'names a symbolic link in BLOB_DIR; the blob store follows no link');
    if (e.code === 'ENOTDIR' || e.code === 'EISDIR') return folderConflict(key, call);
    return mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} blob.${method} ${JSON.stringify(key)}: the file system failed: ${e.message}`, { key, setting: 'BLOB_DIR' }, err, 'Check that BLOB_DIR is writable and its disk has room; the call can be retried.');
  }
}
