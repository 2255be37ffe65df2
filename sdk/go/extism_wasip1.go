//go:build wasip1

package microcore

import "encoding/binary"

// The Extism ABI, written out so the SDK needs no PDK: the kernel functions of
// extism:host/env that move bytes between the guest and Extism's memory blocks,
// and the one user host function of docs/protocol.md. Offsets are Extism's
// block addresses, not guest pointers: bytes cross by load/store calls, eight
// at a time.

//go:wasmimport extism:host/env input_length
func extismInputLength() uint64

//go:wasmimport extism:host/env input_load_u8
func extismInputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env input_load_u64
func extismInputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env alloc
func extismAlloc(length uint64) uint64

//go:wasmimport extism:host/env free
func extismFree(offset uint64)

//go:wasmimport extism:host/env length
func extismLength(offset uint64) uint64

//go:wasmimport extism:host/env load_u8
func extismLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env load_u64
func extismLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env store_u8
func extismStoreU8(offset uint64, value uint32)

//go:wasmimport extism:host/env store_u64
func extismStoreU64(offset uint64, value uint64)

//go:wasmimport extism:host/env output_set
func extismOutputSet(offset uint64, length uint64)

//go:wasmimport extism:host/env log_warn
func extismLogWarn(offset uint64)

//go:wasmimport extism:host/env log_error
func extismLogError(offset uint64)

// mcCallImport takes the offset of a serialized ToolCall and returns the offset
// of a serialized ToolResult.
//
//go:wasmimport extism:host/user mc_call
func mcCallImport(offset uint64) uint64

func init() {
	// WASI stderr is not wired to the kernel's log; Extism's log functions are.
	logSDK = logExtism
}

// mcCall is the wasm transport of toolConn. The input block is allocated here
// and freed once the host has read it; the output block is allocated by the
// host and freed here after copying.
func mcCall(call []byte) ([]byte, error) {
	in, err := toMemory(call)
	if err != nil {
		return nil, err
	}
	out := mcCallImport(in)
	extismFree(in)
	if out == 0 {
		// Decodes as an empty ToolResult, which toolConn reports naming the call.
		return nil, nil
	}
	bytes := fromMemory(out)
	extismFree(out)
	return bytes, nil
}

// readInput copies the export's input (the kernel's request message).
func readInput() []byte {
	n := extismInputLength()
	buf := make([]byte, n)
	var i uint64
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], extismInputLoadU64(i))
	}
	for ; i < n; i++ {
		buf[i] = byte(extismInputLoadU8(i))
	}
	return buf
}

// setOutput makes b the export's output. No bytes is no output at all, which
// the kernel reads as an empty message.
func setOutput(b []byte) {
	if len(b) == 0 {
		return
	}
	at, err := toMemory(b)
	if err != nil {
		// Out of Extism memory: the kernel sees no output and the log says why.
		logExtism("error", err.Error(), nil)
		return
	}
	extismOutputSet(at, uint64(len(b)))
}

// toMemory copies b into a new Extism block.
func toMemory(b []byte) (uint64, error) {
	n := uint64(len(b))
	at := extismAlloc(n)
	if at == 0 {
		return 0, Errorf(CodeInternal, "Extism could not allocate %d bytes: the module's memory limit "+
			"(limits.memoryMaxPages in plugin.json) is reached", n)
	}
	var i uint64
	for ; i+8 <= n; i += 8 {
		extismStoreU64(at+i, binary.LittleEndian.Uint64(b[i:]))
	}
	for ; i < n; i++ {
		extismStoreU8(at+i, uint32(b[i]))
	}
	return at, nil
}

// fromMemory copies the block at offset out of Extism memory.
func fromMemory(at uint64) []byte {
	n := extismLength(at)
	buf := make([]byte, n)
	var i uint64
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], extismLoadU64(at+i))
	}
	for ; i < n; i++ {
		buf[i] = byte(extismLoadU8(at + i))
	}
	return buf
}

// logExtism writes one JSON line through Extism's log functions, which the
// kernel routes to its logger under the module's identity.
func logExtism(level, msg string, fields map[string]any) {
	line := []byte(jsonLine(level, msg, fields))
	at, err := toMemory(line)
	if err != nil {
		return
	}
	if level == "error" {
		extismLogError(at)
	} else {
		extismLogWarn(at)
	}
	extismFree(at)
}
