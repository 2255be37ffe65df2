//go:build wasip1

package microcore

import _ "unsafe" // for go:linkname

// The wasm transport: built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared,
// the module exports mc_on_boot, mc_invoke and mc_on_shutdown
// (docs/protocol.md, "Wasm modules (Extism)"), and the plugin's tool calls go
// through the host function mc_call.

// served is the plugin main handed to Serve.
var served Plugin

// exports serves the exports once mc_on_boot has found the plugin.
var exports *wasmServer

// Serve, in a wasm module, records p as the plugin the module's exports serve,
// and returns: the kernel drives the module through its exports, not through
// main. The same main therefore builds as a sidecar or as a wasm module.
func Serve(p Plugin) {
	served = p
}

// runMain is the program's main. A c-shared module initializes its packages
// but never runs main, so the first mc_on_boot runs it to reach Serve.
//
//go:linkname runMain main.main
func runMain()

//go:wasmexport mc_on_boot
func mcOnBoot() int32 {
	input := readInput()
	if exports == nil {
		if err := findPlugin(); err != nil {
			setOutput(bootFailed(err))
			return 0
		}
		exports = newWasmServer(served, mcCall)
	}
	setOutput(exports.boot(input))
	return 0
}

//go:wasmexport mc_invoke
func mcInvoke() int32 {
	input := readInput()
	if exports == nil {
		setOutput(notBooted(input))
		return 0
	}
	setOutput(exports.invoke(input))
	return 0
}

//go:wasmexport mc_on_shutdown
func mcOnShutdown() int32 {
	input := readInput()
	if exports != nil {
		setOutput(exports.shutdown(input))
	}
	return 0
}

// findPlugin runs main, once, to have it call Serve.
func findPlugin() (err *Error) {
	if served != nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = Errorf(CodePluginBoot, "main panicked before calling microcore.Serve: %v", r)
		}
	}()
	runMain()
	if served == nil {
		return Errorf(CodePluginBoot, "main returned without calling microcore.Serve: a wasm module's main "+
			"must call microcore.Serve(plugin), as a sidecar's does")
	}
	return nil
}
