//! The PostgreSQL wire protocol in front of [`Analytics`], so `psql`, Grafana, Metabase
//! and other BI tools connect to the center as to a PostgreSQL database. The protocol,
//! the `pg_catalog` that clients inspect and the type mapping come from
//! `datafusion-postgres`; this module adds the read-only guard (first of the query hooks,
//! on the simple and the extended protocol alike) and owns the listener, so a caller can
//! bind port 0 and learn the port, and stop the server.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::hooks::{HookClient, QueryHook};
use datafusion_postgres::pgwire::api::auth::StartupHandler;
use datafusion_postgres::pgwire::api::auth::noop::NoopStartupHandler;
use datafusion_postgres::pgwire::api::cancel::{CancelHandler, DefaultCancelHandler};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::Response;
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager, PgWireServerHandlers};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::tokio::process_socket;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::sql::read_only::{self, Session};
use crate::sql::{Analytics, SqlError};

/// SQLSTATE 25006, `read_only_sql_transaction`: what PostgreSQL itself answers to a write
/// on a read-only connection, so clients show it as they know it.
const READ_ONLY_SQLSTATE: &str = "25006";

/// Refuses every statement [`read_only::check`] does not pass, before it is planned.
#[derive(Debug)]
struct ReadOnlyHook;

impl ReadOnlyHook {
    fn verdict(statement: &Statement) -> Option<PgWireError> {
        read_only::check(statement, Session::Allowed)
            .err()
            .map(|refused| {
                PgWireError::UserError(Box::new(ErrorInfo::new(
                    "ERROR".to_owned(),
                    READ_ONLY_SQLSTATE.to_owned(),
                    refused.to_string(),
                )))
            })
    }
}

#[async_trait]
impl QueryHook for ReadOnlyHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        Self::verdict(statement).map(Err)
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        Self::verdict(statement).map(Err)
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        Self::verdict(statement).map(Err)
    }
}

/// Startup without a password: the server listens on loopback by default; the roles of
/// the HTTP server (tokens) are not yet checked on the wire.
struct Startup {
    connections: Arc<ConnectionManager>,
}

#[async_trait]
impl NoopStartupHandler for Startup {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.connections.clone())
    }
}

struct Handlers {
    session: Arc<DfSessionService>,
    startup: Arc<Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.session.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.session.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }
}

/// A running PostgreSQL-wire server.
#[derive(Debug)]
pub struct WireServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WireServer {
    /// Binds `addr` (port 0 picks a free port) and serves `analytics` until stopped.
    pub async fn start(analytics: &Analytics, addr: SocketAddr) -> Result<Self, SqlError> {
        Self::serve(analytics, Self::bind(addr).await?)
    }

    /// Binds `addr` for [`WireServer::serve`]: a server binds its addresses before it opens
    /// its log, so that one in use refuses the start before anything is written.
    pub async fn bind(addr: SocketAddr) -> Result<TcpListener, SqlError> {
        TcpListener::bind(addr).await.map_err(|e| SqlError::Io {
            path: addr.to_string().into(),
            source: e,
        })
    }

    /// Serves `analytics` on `listener` until stopped.
    pub fn serve(analytics: &Analytics, listener: TcpListener) -> Result<Self, SqlError> {
        let ctx = analytics.context();
        setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider)
            .map_err(|e| SqlError::Query(*e))?;
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(ReadOnlyHook),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let connections = Arc::new(ConnectionManager::new());
        let handlers = Arc::new(Handlers {
            session: Arc::new(DfSessionService::new_with_hooks(ctx, hooks)),
            startup: Arc::new(Startup {
                connections: connections.clone(),
            }),
            cancel: Arc::new(DefaultCancelHandler::new(connections)),
        });
        let addr = listener.local_addr().map_err(|e| SqlError::Io {
            path: "the SQL listener".into(),
            source: e,
        })?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((socket, peer)) => {
                            let handlers = handlers.clone();
                            tokio::spawn(async move {
                                if let Err(e) = process_socket(socket, None, handlers).await {
                                    tracing::debug!(%peer, "PostgreSQL connection ended: {e}");
                                }
                            });
                        }
                        Err(e) => {
                            tracing::warn!("accepting a PostgreSQL connection: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    },
                }
            }
        });
        Ok(Self { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting; connections already open finish their current query.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
