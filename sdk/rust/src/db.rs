//! The db tool: SQL with positional `?` parameters.

use crate::call::call;
use crate::pb::{DescribeSchemaRequest, ExecuteRequest, QueryOneRequest, QueryRequest, TransactionRequest};
use crate::{Error, Value};

pub use crate::pb::{
    ColumnSchema, DescribeSchemaResponse, ExecuteResponse, QueryOneResponse, QueryResponse, Statement, StatementResult,
    TableSchema, TransactionResponse,
};

const TOOL: &str = "db";

impl Statement {
    /// One statement of a [`transaction`].
    pub fn new(sql: impl Into<String>, params: impl IntoIterator<Item = Value>) -> Self {
        Statement { sql: sql.into(), params: params.into_iter().collect() }
    }
}

/// Db.Query: all rows of a statement that returns rows.
pub fn query(sql: &str, params: impl IntoIterator<Item = Value>) -> Result<QueryResponse, Error> {
    call(TOOL, "Query", &QueryRequest { sql: sql.into(), params: params.into_iter().collect() })
}

/// Db.QueryOne: the first row (`found` false and `row` None when there is none).
pub fn query_one(sql: &str, params: impl IntoIterator<Item = Value>) -> Result<QueryOneResponse, Error> {
    call(TOOL, "QueryOne", &QueryOneRequest { sql: sql.into(), params: params.into_iter().collect() })
}

/// Db.Execute: a statement that changes data.
pub fn execute(sql: &str, params: impl IntoIterator<Item = Value>) -> Result<ExecuteResponse, Error> {
    call(TOOL, "Execute", &ExecuteRequest { sql: sql.into(), params: params.into_iter().collect() })
}

/// Db.Transaction: the statements in order, all committed or none.
pub fn transaction(statements: Vec<Statement>) -> Result<TransactionResponse, Error> {
    call(TOOL, "Transaction", &TransactionRequest { statements })
}

/// Db.DescribeSchema: every table with its columns, in one type vocabulary.
pub fn describe_schema() -> Result<DescribeSchemaResponse, Error> {
    call(TOOL, "DescribeSchema", &DescribeSchemaRequest {})
}
