//go:build !wasip1

package microcore

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Protocol version 4 (docs/protocol.md, "Frames on the socket"): the call
// stream's frames straight on a TLS connection of their own, each a 4-byte
// big-endian length and a serialized ConnectRequest (from the kernel) or
// ConnectResponse (to it). Version 3 carried the same frames as gRPC messages;
// pprof showed grpc-go's reader and loopy-writer goroutines, HPACK and a
// futex wake-up per hand-off costing more than the frames (bench/README.md,
// "Where the time goes: sidecars"). Here one goroutine reads, and a handler
// writes its own frame. The TLS is the Plugin server's: only the kernel's
// certificate is accepted.

// frameHeader is the length prefix; maxFrame bounds one frame (a piece of at
// most framePayload bytes and its fields): a longer prefix is not this protocol.
const (
	frameHeader = 4
	maxFrame    = framePayload + 1024
)

// framesConn is one kernel connection to the frames socket, as a connectStream.
type framesConn struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
	ctx  context.Context
}

func (f *framesConn) Context() context.Context { return f.ctx }

func (f *framesConn) Recv() (*microcorev1.ConnectRequest, error) {
	var head [frameHeader]byte
	if _, err := io.ReadFull(f.r, head[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(head[:])
	if size > maxFrame {
		return nil, fmt.Errorf("a frame of %d bytes, over the %d a frame may hold: the peer does not speak protocol version 4", size, maxFrame)
	}
	if cap(f.buf) < int(size) {
		f.buf = make([]byte, size)
	}
	body := f.buf[:size]
	if _, err := io.ReadFull(f.r, body); err != nil {
		return nil, err
	}
	// Unmarshal copies bytes fields, so the buffer is free for the next frame.
	req := &microcorev1.ConnectRequest{}
	if err := proto.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("a frame that is not a ConnectRequest: %w", err)
	}
	return req, nil
}

// Send writes the length and the frame in one Write: one TLS record. The
// callStream serializes its Sends.
func (f *framesConn) Send(resp *microcorev1.ConnectResponse) error {
	out := make([]byte, frameHeader, frameHeader+proto.Size(resp))
	out, err := proto.MarshalOptions{}.MarshalAppend(out, resp)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint32(out, uint32(len(out)-frameHeader))
	_, err = f.conn.Write(out)
	return err
}

// serveFrames accepts the kernel's connections on lis (TLS, kernel only) and
// serves a call stream on each until lis closes; it then closes them all.
func serveFrames(lis net.Listener, config *tls.Config, s *pluginServer) error {
	var open sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	defer func() {
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		open.Wait()
	}()
	for {
		raw, err := lis.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		conn := tls.Server(raw, config)
		mu.Lock()
		conns[conn] = struct{}{}
		mu.Unlock()
		open.Add(1)
		go func() {
			defer open.Done()
			defer func() {
				mu.Lock()
				delete(conns, conn)
				mu.Unlock()
				_ = conn.Close()
			}()
			// A client without the kernel's certificate fails here and is dropped.
			if err := conn.Handshake(); err != nil {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_ = s.serveCalls(&framesConn{conn: conn, r: bufio.NewReaderSize(conn, maxFrame+frameHeader), ctx: ctx})
		}()
	}
}
