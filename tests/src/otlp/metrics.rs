//! Received metrics, one record per metric of each export, with its data points.

use opentelemetry_proto::tonic::{
    collector::metrics::v1::ExportMetricsServiceRequest,
    metrics::v1::{
        metric::Data, number_data_point, AggregationTemporality, HistogramDataPoint,
        NumberDataPoint,
    },
};

use super::attributes::{attributes, resource_attributes, scope_name, Attributes};

/// What kind of aggregation a metric carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Sum {
        monotonic: bool,
    },
    Histogram,
    /// Kept as a kind only: its points have [`PointValue::Unsupported`].
    ExponentialHistogram,
    /// Kept as a kind only: its points have [`PointValue::Unsupported`].
    Summary,
    /// A metric without data.
    Empty,
}

/// One metric of one export, with the resource and scope it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMetric {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub kind: MetricKind,
    /// `None` for gauges and summaries, which have none.
    pub temporality: Option<AggregationTemporality>,
    pub points: Vec<DataPoint>,
    pub resource: Attributes,
    pub scope_name: String,
}

/// One data point of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    pub attributes: Attributes,
    pub start_unix_nanos: u64,
    pub time_unix_nanos: u64,
    pub value: PointValue,
}

/// The value of a data point.
#[derive(Debug, Clone, PartialEq)]
pub enum PointValue {
    Int(i64),
    Double(f64),
    Histogram(HistogramValue),
    /// Exponential histogram and summary points, and number points without a value.
    Unsupported,
}

/// An explicit-bucket histogram point.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramValue {
    pub count: u64,
    pub sum: Option<f64>,
    /// One more than `explicit_bounds` (the last bucket is unbounded).
    pub bucket_counts: Vec<u64>,
    pub explicit_bounds: Vec<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl DataPoint {
    /// The value of a gauge or sum point, as f64 whether sent as int or double.
    pub fn number(&self) -> Option<f64> {
        match self.value {
            PointValue::Int(i) => Some(i as f64),
            PointValue::Double(d) => Some(d),
            _ => None,
        }
    }

    /// The value of a histogram point.
    pub fn histogram(&self) -> Option<&HistogramValue> {
        match &self.value {
            PointValue::Histogram(h) => Some(h),
            _ => None,
        }
    }

    /// The string attribute `key`, if the point has it as a string.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(|v| v.as_str())
    }
}

/// Every metric of `request`, in the order sent.
pub(crate) fn flatten(request: &ExportMetricsServiceRequest) -> Vec<ReceivedMetric> {
    let mut out = Vec::new();
    for resource_metrics in &request.resource_metrics {
        let resource = resource_attributes(resource_metrics.resource.as_ref());
        for scope_metrics in &resource_metrics.scope_metrics {
            let scope = scope_name(scope_metrics.scope.as_ref());
            for metric in &scope_metrics.metrics {
                let (kind, temporality, points) = data(metric.data.as_ref());
                out.push(ReceivedMetric {
                    name: metric.name.clone(),
                    description: metric.description.clone(),
                    unit: metric.unit.clone(),
                    kind,
                    temporality,
                    points,
                    resource: resource.clone(),
                    scope_name: scope.clone(),
                });
            }
        }
    }
    out
}

/// How many data points `data` has.
pub(crate) fn point_count(data: Option<&Data>) -> usize {
    match data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

fn data(data: Option<&Data>) -> (MetricKind, Option<AggregationTemporality>, Vec<DataPoint>) {
    match data {
        Some(Data::Gauge(g)) => (MetricKind::Gauge, None, number_points(&g.data_points)),
        Some(Data::Sum(s)) => (
            MetricKind::Sum {
                monotonic: s.is_monotonic,
            },
            Some(s.aggregation_temporality()),
            number_points(&s.data_points),
        ),
        Some(Data::Histogram(h)) => (
            MetricKind::Histogram,
            Some(h.aggregation_temporality()),
            h.data_points.iter().map(histogram_point).collect(),
        ),
        Some(Data::ExponentialHistogram(h)) => (
            MetricKind::ExponentialHistogram,
            Some(h.aggregation_temporality()),
            h.data_points
                .iter()
                .map(|p| DataPoint {
                    attributes: attributes(&p.attributes),
                    start_unix_nanos: p.start_time_unix_nano,
                    time_unix_nanos: p.time_unix_nano,
                    value: PointValue::Unsupported,
                })
                .collect(),
        ),
        Some(Data::Summary(s)) => (
            MetricKind::Summary,
            None,
            s.data_points
                .iter()
                .map(|p| DataPoint {
                    attributes: attributes(&p.attributes),
                    start_unix_nanos: p.start_time_unix_nano,
                    time_unix_nanos: p.time_unix_nano,
                    value: PointValue::Unsupported,
                })
                .collect(),
        ),
        None => (MetricKind::Empty, None, Vec::new()),
    }
}

fn number_points(points: &[NumberDataPoint]) -> Vec<DataPoint> {
    points
        .iter()
        .map(|p| DataPoint {
            attributes: attributes(&p.attributes),
            start_unix_nanos: p.start_time_unix_nano,
            time_unix_nanos: p.time_unix_nano,
            value: match p.value {
                Some(number_data_point::Value::AsInt(i)) => PointValue::Int(i),
                Some(number_data_point::Value::AsDouble(d)) => PointValue::Double(d),
                None => PointValue::Unsupported,
            },
        })
        .collect()
}

fn histogram_point(p: &HistogramDataPoint) -> DataPoint {
    DataPoint {
        attributes: attributes(&p.attributes),
        start_unix_nanos: p.start_time_unix_nano,
        time_unix_nanos: p.time_unix_nano,
        value: PointValue::Histogram(HistogramValue {
            count: p.count,
            sum: p.sum,
            bucket_counts: p.bucket_counts.clone(),
            explicit_bounds: p.explicit_bounds.clone(),
            min: p.min,
            max: p.max,
        }),
    }
}
