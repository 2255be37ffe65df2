// What `microcore new` writes: a plugin that boots and answers as it is, with
// its test, in each hosting. Each template is a map of path -> file content.

export const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function className(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, _dash, c: string) => c.toUpperCase()) + 'Plugin';
}

export function nativePlugin(domain: string, name: string): Record<string, string> {
  const cls = className(name);
  const path = `/${domain}/${name}`;
  return {
    [`domains/${domain}/plugins/${name}.ts`]: `// GET ${path}?name=…: say what this feature does, in one line.
import { Type } from 'typebox';
import type { Tools } from '../../../kernel/index.ts';

// The query string's schema: checked before the handler runs, and it types req.query
// (body, params and response take schemas the same way; integers arrive as bigint).
const Query = Type.Object({ name: Type.Optional(Type.String({ minLength: 1 })) });

export class ${cls} {
  #http: Tools['http'];
  #logger: Tools['logger'];

  constructor({ http, logger }: Tools) {
    this.#http = http;
    this.#logger = logger;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '${path}', summary: '${name}', query: Query, handler: (req) => this.execute(req.query.name) });
  }

  async execute(name = '${name}') {
    await this.#logger.log({ message: '${name} called', fields: { name } });
    return { hello: name };
  }
}
`,
    [`domains/${domain}/plugins/${name}.test.ts`]: `import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { ${cls} } from './${name}.ts';

describe('${domain}/${name}', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: '${domain}/${name}' });
    await new ${cls}(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('answers GET ${path}', async () => {
    expect(await t.request('GET', '${path}')).toEqual({ hello: '${name}' });
    expect(await t.request('GET', '${path}', { query: { name: 'Ada' } })).toEqual({ hello: 'Ada' });
  });
});
`,
  };
}

export function goSidecar(name: string): Record<string, string> {
  return {
    [`sidecars/${name}/sidecar.json`]: JSON.stringify(
      {
        name,
        description: `${name}: say what this sidecar does.`,
        command: `bin/${name}`,
        build: ['go', 'build', '-o', `bin/${name}`, '.'],
        needs: ['http', 'logger'],
      },
      null,
      2,
    ) + '\n',
    [`sidecars/${name}/go.mod`]: goMod(`sidecars/${name}`),
    [`sidecars/${name}/main.go`]: goMain(name, `// Command ${name} is a MicroCore sidecar: the kernel starts it (see sidecar.json).`),
  };
}

/** A Go wasm module: the same SDK and the same source as a sidecar, built for wasip1. */
export function goWasm(name: string): Record<string, string> {
  return {
    [`wasm-plugins/${name}/plugin.json`]: JSON.stringify(
      {
        name,
        description: `${name}: say what this module does.`,
        module: `${name}.wasm`,
        build: ['bash', '../../scripts/build-go-wasm.sh', '.', `${name}.wasm`],
        needs: ['http', 'logger'],
        limits: { timeoutMs: 5000 },
        wasi: true,
      },
      null,
      2,
    ) + '\n',
    [`wasm-plugins/${name}/go.mod`]: goMod(`wasm-plugins/${name}`),
    [`wasm-plugins/${name}/main.go`]: goMain(
      name,
      `// Command ${name} is a MicroCore wasm module (see plugin.json): built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, it runs inside the kernel. The
// same source builds as a sidecar; microcore.Serve picks the transport by target.
// Handlers run one at a time and their tool calls block: keep them synchronous.`,
    ),
  };
}

function goMod(path: string): string {
  return `module microcore.dev/${path}

go 1.26.0

require microcore.dev/sdk/go v0.0.0

replace microcore.dev/sdk/go => ../../sdk/go
`;
}

function goMain(name: string, header: string): string {
  return `${header}
package main

import (
	"context"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type plugin struct {
	k *microcore.Kernel
}

func main() {
	microcore.Serve(&plugin{})
}

func (p *plugin) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	p.k = k
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: "/${name}/hello", Summary: "${name}"}, p.hello)
}

func (p *plugin) hello(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	if err := p.k.Logger.Info(ctx, "${name} called", nil); err != nil {
		return nil, err
	}
	return microcore.Respond(0, map[string]any{"hello": "${name}"})
}
`;
}

/** A Rust sidecar: sdk/rust's gRPC transport, the same handler API as a Rust wasm module. */
export function rustSidecar(name: string): Record<string, string> {
  return {
    [`sidecars/${name}/sidecar.json`]: JSON.stringify(
      {
        name,
        description: `${name}: say what this sidecar does.`,
        command: `bin/${name}`,
        build: ['bash', '../../scripts/build-rust-sidecar.sh', '.', name, `bin/${name}`],
        needs: ['http', 'logger'],
      },
      null,
      2,
    ) + '\n',
    [`sidecars/${name}/Cargo.toml`]: `[package]
name = "${name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
microcore = { path = "../../sdk/rust" }
`,
    [`sidecars/${name}/src/main.rs`]: `//! ${name}: a MicroCore sidecar (see sidecar.json); the kernel starts it.
//! Handlers are synchronous and run several at once on a thread pool, so what
//! they share must be Send + Sync. The same source builds as a wasm module.

use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{logger, Error, OnBootRequest, Value, ValueMap};

microcore::plugin!(on_boot);

fn main() {
    serve()
}

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    http::add_endpoint(Endpoint::new("GET", "/${name}/hello"), hello)
}

fn hello(_: HttpRequest) -> Result<HttpResponse, Error> {
    logger::info("${name} called", [])?;
    Ok(http::response(ValueMap::from_iter([("hello", Value::from("${name}"))])))
}
`,
  };
}

export function rustWasm(name: string): Record<string, string> {
  const crate = name.replace(/-/g, '_');
  return {
    [`wasm-plugins/${name}/plugin.json`]: JSON.stringify(
      {
        name,
        description: `${name}: say what this module does.`,
        module: `${crate}.wasm`,
        build: ['bash', '../../scripts/build-rust-wasm.sh', '.', `${crate}.wasm`],
        needs: ['http', 'logger'],
        limits: { timeoutMs: 5000 },
      },
      null,
      2,
    ) + '\n',
    [`wasm-plugins/${name}/Cargo.toml`]: `[package]
name = "${name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
microcore = { path = "../../sdk/rust" }

# Small modules load faster.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
strip = true
`,
    [`wasm-plugins/${name}/src/lib.rs`]: `//! ${name}: a MicroCore wasm plugin (see plugin.json).

use microcore::http::{self, Endpoint, HttpRequest, HttpResponse};
use microcore::{logger, Error, OnBootRequest, Value, ValueMap};

microcore::plugin!(on_boot);

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    http::add_endpoint(Endpoint::new("GET", "/${name}/hello"), hello)
}

fn hello(_: HttpRequest) -> Result<HttpResponse, Error> {
    logger::info("${name} called", [])?;
    Ok(http::response(ValueMap::from_iter([("hello", Value::from("${name}"))])))
}
`,
  };
}
