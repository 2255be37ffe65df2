package microcore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"google.golang.org/grpc"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// memBlobs answers Blob.Get as the tool does: a range cut to what is left and to
// maxRead bytes. Replace swaps the blob after `after` Gets.
type memBlobs struct {
	microcorev1.BlobClient
	data, replacement []byte
	sum               string
	maxRead           int64
	gets, after       int
}

func (m *memBlobs) Get(_ context.Context, in *microcorev1.BlobGetRequest, _ ...grpc.CallOption) (*microcorev1.BlobGetResponse, error) {
	m.gets++
	if m.replacement != nil && m.gets > m.after {
		m.data, m.replacement = m.replacement, nil
		s := sha256.Sum256(m.data)
		m.sum = hex.EncodeToString(s[:])
	}
	if m.data == nil {
		return &microcorev1.BlobGetResponse{}, nil
	}
	size := int64(len(m.data))
	n := min(size-in.Offset, m.maxRead)
	if in.Length > 0 {
		n = min(n, in.Length)
	}
	return &microcorev1.BlobGetResponse{Found: true, Data: m.data[in.Offset : in.Offset+n], ContentType: "application/x-test", Size: size, Sha256: m.sum}, nil
}

func newMem(data []byte, maxRead int64) *memBlobs {
	s := sha256.Sum256(data)
	return &memBlobs{data: data, sum: hex.EncodeToString(s[:]), maxRead: maxRead}
}

func TestBlobOpenReadsEveryRange(t *testing.T) {
	data := make([]byte, 2*BlobChunk+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	// The kernel cuts each range to 300 kB: more Gets than BlobChunk alone would need.
	mem := newMem(data, 300_000)
	r, err := (&Blob{c: mem}).Open(context.Background(), "big")
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(data)) || r.ContentType() != "application/x-test" || r.SHA256() != mem.sum {
		t.Fatalf("metadata: %d %q %q", r.Size(), r.ContentType(), r.SHA256())
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the blob's %d", len(got), len(data))
	}
	if want := (len(data) + 299_999) / 300_000; mem.gets != want {
		t.Fatalf("%d Gets, want %d", mem.gets, want)
	}
}

func TestBlobOpenEmptyAndMissing(t *testing.T) {
	r, err := (&Blob{c: newMem([]byte{}, 100)}).Open(context.Background(), "empty")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
		t.Fatalf("empty blob: %v %v", got, err)
	}
	_, err = (&Blob{c: &memBlobs{}}).Open(context.Background(), "nope")
	if CodeOf(err) != CodeNotFound {
		t.Fatalf("missing blob: %v", err)
	}
}

func TestBlobOpenNoticesAReplacedBlob(t *testing.T) {
	mem := newMem(bytes.Repeat([]byte("a"), 1000), 100)
	mem.replacement, mem.after = bytes.Repeat([]byte("b"), 1000), 3
	r, err := (&Blob{c: mem}).Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	if CodeOf(err) != CodeConflict {
		t.Fatalf("want MC_ERR_CONFLICT, got %v", err)
	}
}

func TestBlobOpenChecksTheChecksum(t *testing.T) {
	mem := newMem([]byte("hello"), 2)
	mem.sum = "0000"
	r, err := (&Blob{c: mem}).Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err = io.ReadAll(r); CodeOf(err) != CodeConflict {
		t.Fatalf("want MC_ERR_CONFLICT, got %v", err)
	}
}
