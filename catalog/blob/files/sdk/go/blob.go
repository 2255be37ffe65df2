package microcore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Blob is the blob tool: files by key, shared by the whole app (catalog tool,
// `microcore add blob`; docs/tools/blob.md).
type Blob struct{ c microcorev1.BlobClient }

// Blob returns the blob tool.
func (k *Kernel) Blob() *Blob { return &Blob{c: microcorev1.NewBlobClient(k.conn)} }

// Put stores data under key, replacing any previous blob; an empty contentType
// stores application/octet-stream. It answers the size and SHA-256 stored.
func (b *Blob) Put(ctx context.Context, key string, data []byte, contentType string) (*microcorev1.BlobPutResponse, error) {
	return b.c.Put(ctx, &microcorev1.BlobPutRequest{Key: key, Data: data, ContentType: contentType})
}

// Get reads a whole blob; Found is false when no blob has the key. A blob
// larger than one answer holds is refused (MC_ERR_MESSAGE_TOO_LARGE): read it
// with Open or GetRange.
func (b *Blob) Get(ctx context.Context, key string) (*microcorev1.BlobGetResponse, error) {
	return b.c.Get(ctx, &microcorev1.BlobGetRequest{Key: key})
}

// GetRange reads at most length bytes from offset (length 0: to the end). The
// answer may hold fewer bytes than asked (what is left, or what one answer
// holds): read on from offset + len(Data).
func (b *Blob) GetRange(ctx context.Context, key string, offset, length int64) (*microcorev1.BlobGetResponse, error) {
	return b.c.Get(ctx, &microcorev1.BlobGetRequest{Key: key, Offset: offset, Length: length})
}

// List answers up to limit blobs (0: 100, at most 1000) whose keys start with
// prefix and sort after `after`, in key order; pass Next as `after` for the
// next page (empty when there is none).
func (b *Blob) List(ctx context.Context, prefix, after string, limit int32) (*microcorev1.BlobListResponse, error) {
	return b.c.List(ctx, &microcorev1.BlobListRequest{Prefix: prefix, After: after, Limit: limit})
}

// Delete removes a blob; Deleted says whether one had the key.
func (b *Blob) Delete(ctx context.Context, key string) (*microcorev1.BlobDeleteResponse, error) {
	return b.c.Delete(ctx, &microcorev1.BlobDeleteRequest{Key: key})
}

// BlobChunk is how many bytes a BlobReader asks for per call; the kernel cuts a
// range to what one answer holds, so it may get fewer.
const BlobChunk = 1 << 20

// Open reads a blob of any size through ranged Gets: an io.Reader that fetches
// BlobChunk bytes at a time. It fails with MC_ERR_NOT_FOUND when no blob has the
// key. Reading fails with MC_ERR_CONFLICT when the blob is replaced while it
// reads, and checks the whole content against its SHA-256 at the end.
func (b *Blob) Open(ctx context.Context, key string) (*BlobReader, error) {
	first, err := b.GetRange(ctx, key, 0, BlobChunk)
	if err != nil {
		return nil, err
	}
	if !first.Found {
		return nil, Errorf(CodeNotFound, "blob.Open: no blob has the key %q", key).WithFix("Put it first, or List to see which keys exist.")
	}
	r := &BlobReader{b: b, ctx: ctx, key: key, size: first.Size, contentType: first.ContentType, sum: first.Sha256, hash: sha256.New()}
	r.take(first.Data)
	return r, nil
}

// BlobReader is an io.Reader over a blob's ranges (see Blob.Open).
type BlobReader struct {
	b           *Blob
	ctx         context.Context
	key         string
	size        int64
	contentType string
	sum         string
	hash        hash.Hash
	buf         []byte
	offset      int64 // the next byte to fetch
	err         error
}

// Size is the blob's length in bytes.
func (r *BlobReader) Size() int64 { return r.size }

// ContentType is the media type the blob was stored with.
func (r *BlobReader) ContentType() string { return r.contentType }

// SHA256 is the blob's SHA-256, lower-case hex.
func (r *BlobReader) SHA256() string { return r.sum }

func (r *BlobReader) take(data []byte) {
	r.buf = data
	r.offset += int64(len(data))
	r.hash.Write(data)
}

// Read implements io.Reader.
func (r *BlobReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.offset >= r.size {
			if got := hex.EncodeToString(r.hash.Sum(nil)); got != r.sum {
				r.err = Errorf(CodeConflict, "blob.Open %q: the bytes read have SHA-256 %s, not the blob's %s", r.key, got, r.sum)
				return 0, r.err
			}
			r.err = io.EOF
			return 0, io.EOF
		}
		next, err := r.b.GetRange(r.ctx, r.key, r.offset, BlobChunk)
		if err != nil {
			r.err = err
			return 0, err
		}
		if !next.Found || next.Sha256 != r.sum || next.Size != r.size {
			r.err = Errorf(CodeConflict, "blob.Open %q: the blob was replaced or deleted while it was read (at byte %d of %d)", r.key, r.offset, r.size).WithFix("Open it again to read the new blob from the start.")
			return 0, r.err
		}
		if len(next.Data) == 0 {
			r.err = Errorf(CodeInternal, "blob.Open %q: an empty range at byte %d of %d", r.key, r.offset, r.size)
			return 0, r.err
		}
		r.take(next.Data)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
