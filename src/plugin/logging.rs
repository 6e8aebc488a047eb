//! Logs as Terraform reads them: one hclog-style JSON object per line on
//! stderr (`@level`, `@message`, `@timestamp` with microseconds, `@module`,
//! then fields), at the level chosen by Terraform's environment variables.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use time::macros::format_description;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::plugin::environment::{self, Unreadable};

/// The level requested by the environment: `TF_LOG_PROVIDER_<NAME>`, then
/// `TF_LOG_PROVIDER`, then `TF_LOG` (the first one set and not blank wins);
/// off when none is set. A variable looked at that is set but cannot be read
/// is an error, not a fall-through to the next one.
pub(super) fn level_from_env(
    provider_name: &str,
    get: impl Fn(&str) -> Result<Option<String>, Unreadable>,
) -> Result<LevelFilter, Unreadable> {
    let specific = format!(
        "TF_LOG_PROVIDER_{}",
        provider_name.to_ascii_uppercase().replace('-', "_")
    );
    let mut value = None;
    for name in [specific.as_str(), "TF_LOG_PROVIDER", "TF_LOG"] {
        if let Some(v) = get(name)?.filter(|v| !v.trim().is_empty()) {
            value = Some(v);
            break;
        }
    }
    Ok(match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => LevelFilter::OFF,
        Some(v) => match v.as_str() {
            "off" => LevelFilter::OFF,
            "error" => LevelFilter::ERROR,
            "warn" => LevelFilter::WARN,
            "info" => LevelFilter::INFO,
            "debug" => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        },
    })
}

/// Installs the JSON logger for this process. `own_target` is the crate whose
/// events are logged at the chosen level; other crates only log warnings and
/// errors. Fails when a level variable is set but cannot be read.
pub(super) fn init(provider_name: &str, own_target: &'static str) -> Result<(), Unreadable> {
    let level = level_from_env(provider_name, environment::text)?;
    if level == LevelFilter::OFF {
        return Ok(());
    }
    let layer = HclogLayer {
        level,
        own_target,
        provider_module: format!("provider.terraform-provider-{provider_name}"),
    };
    let subscriber = tracing_subscriber::registry().with(layer);
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

/// The hclog JSON writer.
struct HclogLayer {
    level: LevelFilter,
    own_target: &'static str,
    provider_module: String,
}

impl HclogLayer {
    fn allows(&self, metadata: &Metadata<'_>) -> bool {
        let limit = if metadata.target().starts_with(self.own_target) {
            self.level
        } else {
            self.level.min(LevelFilter::WARN)
        };
        metadata.level() <= &limit
    }
}

/// Fields recorded on a span, kept in its extensions.
struct SpanFields(Map<String, Json>);

struct JsonVisitor<'a>(&'a mut Map<String, Json>);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.0.insert(field.name().to_string(), Json::String(text));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_string(), Json::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// `2006-01-02T15:04:05.000000Z`: the only timestamp layout Terraform parses.
pub(super) fn timestamp(now: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000000Z".to_string())
}

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_span() || self.allows(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
                values.record(&mut JsonVisitor(fields));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !self.allows(event.metadata()) {
            return;
        }
        let mut line = Map::new();
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    for (k, v) in span_fields {
                        fields.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        event.record(&mut JsonVisitor(&mut fields));
        let message = match fields.remove("message") {
            Some(Json::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let metadata = event.metadata();
        let module = if metadata.target().starts_with(self.own_target) {
            self.provider_module.clone()
        } else {
            metadata
                .target()
                .split("::")
                .next()
                .unwrap_or("dependency")
                .to_string()
        };
        line.insert(
            "@level".to_string(),
            Json::String(level_name(metadata.level()).to_string()),
        );
        line.insert("@message".to_string(), Json::String(message));
        line.insert("@module".to_string(), Json::String(module));
        line.insert(
            "@timestamp".to_string(),
            Json::String(timestamp(OffsetDateTime::now_utc())),
        );
        for (k, v) in fields {
            line.entry(k).or_insert(v);
        }
        let mut text = Json::Object(line).to_string();
        text.push('\n');
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Result<Option<String>, Unreadable> {
        move |name| {
            Ok(pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string()))
        }
    }

    fn level(pairs: &'static [(&'static str, &'static str)]) -> LevelFilter {
        level_from_env("example", env(pairs)).expect("readable")
    }

    #[test]
    fn provider_specific_level_wins() {
        let chosen = level(&[("TF_LOG_PROVIDER_EXAMPLE", "debug"), ("TF_LOG", "error")]);
        assert_eq!(chosen, LevelFilter::DEBUG);
    }

    #[test]
    fn falls_back_to_tf_log_provider_then_tf_log() {
        assert_eq!(
            level(&[("TF_LOG_PROVIDER", "info"), ("TF_LOG", "error")]),
            LevelFilter::INFO
        );
        assert_eq!(level(&[("TF_LOG", "WARN")]), LevelFilter::WARN);
        assert_eq!(level(&[("TF_LOG", "json")]), LevelFilter::TRACE);
        assert_eq!(level(&[]), LevelFilter::OFF);
        assert_eq!(level(&[("TF_LOG", "off")]), LevelFilter::OFF);
    }

    #[test]
    fn an_unreadable_level_variable_is_an_error_not_the_next_one() {
        let get = |name: &str| {
            if name == "TF_LOG_PROVIDER" {
                Err(Unreadable {
                    name: name.to_string(),
                    why: "its value is not valid UTF-8 text".to_string(),
                })
            } else if name == "TF_LOG" {
                Ok(Some("error".to_string()))
            } else {
                Ok(None)
            }
        };
        let err = level_from_env("example", get).expect_err("unreadable");
        assert_eq!(err.name, "TF_LOG_PROVIDER");
    }

    #[test]
    fn timestamps_have_six_fractional_digits() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).expect("time");
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123456Z");
    }
}
