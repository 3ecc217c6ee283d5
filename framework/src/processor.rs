//! The `Processor` pattern: state plus `async fn(Input) -> Result<Output, Error>`.
//!
//! Every entity operation and every service operation in Helium is a
//! [`Processor`] implementation for one input type. That keeps each operation small, lets the
//! gRPC and REST layers share one service call, and lets tests drive an operation directly.

pub use kanau::processor::Processor;
use sqlx::PgPool;

/// The processor that entity layers implement their SQL on.
///
/// Entities write `impl Processor<FindAdmin> for DatabaseProcessor`; services hold a
/// `DatabaseProcessor` and call `db.process(FindAdmin { .. })` without seeing any SQL.
/// Cloning is cheap: it is a handle on the shared pool.
#[derive(Clone, Debug)]
pub struct DatabaseProcessor {
    pool: PgPool,
}

impl DatabaseProcessor {
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for entity processors and for opening transactions.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
