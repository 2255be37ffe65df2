package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"google.golang.org/protobuf/proto"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// The blob tool's methods (microcore add blob), through the SDK's wrappers.
func init() {
	catalogMethods["blob.Put"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.BlobPutRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return p.k.Blob().Put(ctx, r.Key, r.Data, r.ContentType)
	}
	catalogMethods["blob.Get"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.BlobGetRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		if r.Offset == 0 && r.Length == 0 {
			return p.k.Blob().Get(ctx, r.Key)
		}
		return p.k.Blob().GetRange(ctx, r.Key, r.Offset, r.Length)
	}
	catalogMethods["blob.List"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.BlobListRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return p.k.Blob().List(ctx, r.Prefix, r.After, r.Limit)
	}
	// Not a contract method: the SDK's reader (Blob.Open) over a whole blob, answered as the
	// size and SHA-256 of what it read, so a blob larger than one message can be checked
	// (tools/blob/reader-hostings.test.ts).
	catalogMethods["blob.Open"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.BlobGetRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		reader, err := p.k.Blob().Open(ctx, r.Key)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, reader)
		if err != nil {
			return nil, err
		}
		return &microcorev1.BlobPutResponse{Size: n, Sha256: hex.EncodeToString(h.Sum(nil))}, nil
	}
	catalogMethods["blob.Delete"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.BlobDeleteRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return p.k.Blob().Delete(ctx, r.Key)
	}
}
