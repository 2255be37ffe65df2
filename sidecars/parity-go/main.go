// Command parity-go serves the parity endpoints from Go. The same source runs
// in two hostings: as a sidecar (sidecar.json, under /parity/go) and, built for
// wasip1, as a wasm module (wasm-plugins/parity-gowasm, whose manifest config
// sets hosting "gowasm"); microcore.Serve picks the transport by build target.
// Its twins, domains/parity (TypeScript) and wasm-plugins/parity-rust, make the
// same calls under /parity/ts and /parity/rust; a test compares every
// hosting's answers, so the SQL, the values and the errors here must stay
// exactly theirs. bus.go holds the bus half: subscriptions, and the endpoints
// that publish and request.
package main

import (
	"context"
	"strconv"
	"strings"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// defaultHosting names this twin in paths, rows and log fields unless the
// manifest's config sets "hosting" (the sidecar's sets none).
const defaultHosting = "go"

// The values every twin writes: an int64 past 2^53, a blob with 0x00 and 0xff,
// SQL NULL, and text beyond the BMP.
var (
	bigValue  = int64(9007199254740993)
	blobValue = []byte{0x00, 0xff, 0x10, 0x80}
	textValue = "héllo wörld ✓ 日本語 🚀"
)

type parity struct {
	k *microcore.Kernel
	// hosting names this twin in paths, rows and log fields: "go" as a
	// sidecar, "gowasm" as a wasm module.
	hosting string
}

func main() {
	microcore.Serve(&parity{})
}

func (p *parity) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	p.k = k
	p.hosting = k.ManifestConfig["hosting"]
	if p.hosting == "" {
		p.hosting = defaultHosting
	}
	base := "/parity/" + p.hosting
	endpoints := []struct {
		method, path, summary string
		handler               microcore.HttpHandler
	}{
		{"POST", base + "/values", "Writes and reads back one row of edge-case values.", p.values},
		{"POST", base + "/tx-fail", "Runs a transaction whose second statement fails.", p.txFail},
		{"GET", base + "/denied", "Calls the state tool, which this plugin does not need.", p.denied},
		{"GET", base + "/bad-sql", "Runs invalid SQL.", p.badSQL},
		{"GET", base + "/count", "Counts this hosting's rows.", p.count},
		{"POST", base + "/execute", "Inserts one row with Db.Execute and answers what it changed.", p.execute},
	}
	for _, e := range endpoints {
		err := k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: e.method, Path: e.path, Summary: e.summary}, e.handler)
		if err != nil {
			return err
		}
	}
	if err := p.addBus(ctx, k); err != nil {
		return err
	}
	// Last, so every handler above keeps its id.
	if err := k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "POST", Path: base + "/unique", Summary: "Inserts this hosting's row twice; passes on the unique violation."}, p.unique); err != nil {
		return err
	}
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: base + "/blob/:kib", Summary: "Reads a zero-filled blob of :kib KiB; ?echo=2 answers with it twice."}, p.blob)
}

const maxBlobKiB = 65536

// blob reads a zero-filled blob of :kib KiB through the db tool (the tool's
// result crosses into the sidecar); ?echo=2 answers with it twice (an answer
// twice the size crosses back). For MC_MESSAGE_LIMIT_BYTES, the same in every hosting.
func (p *parity) blob(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	kib, err := strconv.Atoi(req.GetParams()["kib"])
	if err != nil || kib < 0 || kib > maxBlobKiB {
		e := microcore.Errorf(microcore.CodeInvalidArgument, "GET /parity/%s/blob/:kib takes a whole number of KiB from 0 to %d", p.hosting, maxBlobKiB)
		e.Details = map[string]string{"field": "kib"}
		return nil, e
	}
	one, err := p.k.Db.QueryOne(ctx, "SELECT zeroblob(? * 1024) AS b", kib)
	if err != nil {
		return nil, err
	}
	b := one.GetRow().GetFields()["b"]
	if req.GetQuery()["echo"] == "2" {
		return microcore.Respond(0, map[string]any{"b": b, "c": b})
	}
	return microcore.Respond(0, map[string]any{"bytes": len(b.GetBytesValue())})
}

// values answers with the row exactly as the db tool returned it, so any change
// a hosting makes to a value on the way shows up in the comparison.
func (p *parity) values(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	tx, err := p.k.Db.Transaction(ctx,
		microcore.Statement{
			SQL:    "INSERT INTO parity_items (hosting, big, blob, absent, text) VALUES (?, ?, ?, ?, ?)",
			Params: []any{p.hosting, bigValue, blobValue, nil, textValue},
		},
		microcore.Statement{
			SQL: "SELECT hosting, big, blob, absent, text FROM parity_items WHERE id = last_insert_rowid()",
		},
	)
	if err != nil {
		return nil, err
	}
	var rows []*microcorev1.ValueMap
	if results := tx.GetResults(); len(results) == 2 {
		rows = results[1].GetRows()
	}
	if len(rows) != 1 {
		e := microcore.Errorf(microcore.CodeInternal,
			"%s: the SELECT after the INSERT returned %d rows, want 1", p.k.Identity, len(rows))
		e.Details = map[string]string{"hosting": p.hosting}
		return nil, e
	}
	if err := p.k.Logger.Info(ctx, "parity values written", map[string]any{"hosting": p.hosting}); err != nil {
		return nil, err
	}
	return microcore.Respond(0, rows[0])
}

// txFail passes on the error of a transaction whose second statement fails; the
// first statement's row must not be committed (count shows it).
func (p *parity) txFail(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	_, err := p.k.Db.Transaction(ctx,
		microcore.Statement{SQL: "INSERT INTO parity_items (hosting, text) VALUES (?, 'tx-fail')", Params: []any{p.hosting}},
		microcore.Statement{SQL: "INSERT INTO parity_missing_table (x) VALUES (1)"},
	)
	return nil, p.unexpectedSuccess(err, "POST /tx-fail", "the transaction")
}

// denied passes on the MC_ERR_CAP_DENIED the kernel answers: "state" is not in
// the manifest's needs.
func (p *parity) denied(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	_, err := p.k.State.Get(ctx, "anything")
	return nil, p.unexpectedSuccess(err, "GET /denied", "State.Get")
}

// badSQL passes on the db tool's error for invalid SQL.
func (p *parity) badSQL(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	_, err := p.k.Db.Query(ctx, "SELEC 1")
	return nil, p.unexpectedSuccess(err, "GET /bad-sql", "Db.Query")
}

// execute answers Db.Execute's result as it came: changes and last_insert_id.
func (p *parity) execute(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	res, err := p.k.Db.Execute(ctx, "INSERT INTO parity_items (hosting, text) VALUES (?, 'execute')", p.hosting)
	if err != nil {
		return nil, err
	}
	return microcore.Respond(0, map[string]any{"changes": res.GetChanges(), "lastInsertId": res.GetLastInsertId()})
}

// unique inserts the same key twice: the second insert's classified error
// (MC_ERR_DB_UNIQUE) is passed on unchanged.
func (p *parity) unique(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	const insert = "INSERT INTO parity_unique (hosting) VALUES (?)"
	if _, err := p.k.Db.Execute(ctx, insert, p.hosting); err != nil {
		return nil, err
	}
	_, err := p.k.Db.Execute(ctx, insert, p.hosting)
	return nil, p.unexpectedSuccess(err, "POST /unique", "the second insert")
}

func (p *parity) count(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	one, err := p.k.Db.QueryOne(ctx, "SELECT COUNT(*) AS n FROM parity_items WHERE hosting = ?", p.hosting)
	if err != nil {
		return nil, err
	}
	return microcore.Respond(0, map[string]any{"n": one.GetRow().GetFields()["n"]})
}

// unexpectedSuccess returns err unchanged; these endpoints exist to show the
// error, so a call that succeeded is itself the failure to report. endpoint is
// the method and the path under /parity/<hosting>.
func (p *parity) unexpectedSuccess(err error, endpoint, call string) error {
	if err != nil {
		return err
	}
	method, path, _ := strings.Cut(endpoint, " ")
	e := microcore.Errorf(microcore.CodeInternal,
		"%s %s /parity/%s%s: %s succeeded but must fail. The kernel or its db tool changed; compare with domains/parity.",
		p.k.Identity, method, p.hosting, path, call)
	e.Details = map[string]string{"hosting": p.hosting}
	return e
}
