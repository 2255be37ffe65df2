package microcore

import (
	"context"
	"fmt"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Db is the db tool. Parameters are Go values converted as V does; rows come back
// as ValueMaps (read them with Row).
type Db struct{ c microcorev1.DbClient }

// Statement is one statement of a Transaction.
type Statement struct {
	SQL    string
	Params []any
}

// Query runs a statement that returns rows and returns all of them.
func (d *Db) Query(ctx context.Context, sql string, params ...any) (*microcorev1.QueryResponse, error) {
	ps, err := values("params", params)
	if err != nil {
		return nil, err
	}
	return d.c.Query(ctx, &microcorev1.QueryRequest{Sql: sql, Params: ps})
}

// QueryOne returns the first row, or Found false.
func (d *Db) QueryOne(ctx context.Context, sql string, params ...any) (*microcorev1.QueryOneResponse, error) {
	ps, err := values("params", params)
	if err != nil {
		return nil, err
	}
	return d.c.QueryOne(ctx, &microcorev1.QueryOneRequest{Sql: sql, Params: ps})
}

// Execute runs a statement that changes data.
func (d *Db) Execute(ctx context.Context, sql string, params ...any) (*microcorev1.ExecuteResponse, error) {
	ps, err := values("params", params)
	if err != nil {
		return nil, err
	}
	return d.c.Execute(ctx, &microcorev1.ExecuteRequest{Sql: sql, Params: ps})
}

// Transaction runs the statements in one transaction: all commit, or none do.
func (d *Db) Transaction(ctx context.Context, stmts ...Statement) (*microcorev1.TransactionResponse, error) {
	req := &microcorev1.TransactionRequest{Statements: make([]*microcorev1.Statement, len(stmts))}
	for i, s := range stmts {
		ps, err := values(fmt.Sprintf("statements[%d].params", i), s.Params)
		if err != nil {
			return nil, err
		}
		req.Statements[i] = &microcorev1.Statement{Sql: s.SQL, Params: ps}
	}
	return d.c.Transaction(ctx, req)
}

// DescribeSchema lists every table with its columns, in one type vocabulary.
func (d *Db) DescribeSchema(ctx context.Context) (*microcorev1.DescribeSchemaResponse, error) {
	return d.c.DescribeSchema(ctx, &microcorev1.DescribeSchemaRequest{})
}
