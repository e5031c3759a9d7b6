//! The three OTLP collector services, storing what they receive.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use opentelemetry_proto::tonic::collector::{
    logs::v1::{
        logs_service_server::{LogsService, LogsServiceServer},
        ExportLogsServiceRequest, ExportLogsServiceResponse,
    },
    metrics::v1::{
        metrics_service_server::{MetricsService, MetricsServiceServer},
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    },
    trace::v1::{
        trace_service_server::{TraceService, TraceServiceServer},
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    },
};
use tonic::{
    codec::CompressionEncoding, metadata::MetadataMap, service::Routes, Request, Response, Status,
};

use super::store::{self, Store};

/// Implements every collector service over one [`Store`].
#[derive(Debug, Clone)]
pub(crate) struct Collector {
    store: Arc<Mutex<Store>>,
}

impl Collector {
    pub fn new(store: Arc<Mutex<Store>>) -> Self {
        Collector { store }
    }

    /// The three services, each accepting gzip-compressed requests.
    pub fn routes(self) -> Routes {
        Routes::new(
            TraceServiceServer::new(self.clone()).accept_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            MetricsServiceServer::new(self.clone()).accept_compressed(CompressionEncoding::Gzip),
        )
        .add_service(LogsServiceServer::new(self).accept_compressed(CompressionEncoding::Gzip))
    }

    fn receive<T: store::Request>(&self, request: Request<T>) -> Result<(), Status> {
        let metadata = metadata(request.metadata());
        let message = request.into_inner();
        self.store
            .lock()
            .expect("the receiver's store is not poisoned")
            .receive(metadata, message)
    }
}

fn metadata(map: &MetadataMap) -> BTreeMap<String, String> {
    map.clone()
        .into_headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.receive(request)?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.receive(request)?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Collector {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.receive(request)?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}
