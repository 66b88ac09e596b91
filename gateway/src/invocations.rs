//! Reading the telemetry back: the console's invocations grid (search, filters, sort, page), its
//! Σ totals over every matching row, the calls/errors/spend chart, one call's detail, the CSV
//! export, and importing rows from a document. Writing rows as calls happen is `telemetry`'s.

use futures::TryStreamExt;
use gateway_types::{
    BucketSize, ChartBucket, InvocationChart, InvocationDetail, InvocationExchange, InvocationPage,
    InvocationQuery, InvocationRow, InvocationSort, InvocationStatus, InvocationTotals, NanoUsd,
    Page, SortDirection,
};
use serde::Deserialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result, StoreContext};
use crate::store::{Store, flag};
use crate::telemetry::{self, InvocationRecord};
use crate::{Gateway, now_ms};

const DAY_MS: i64 = 86_400_000;
/// Ranges up to this long are charted per hour, longer ones per day.
const HOURLY_UP_TO_MS: i64 = 3 * DAY_MS;
/// More bars than this and the chart narrows to the days that have calls.
const MAX_BUCKETS: i64 = 400;

impl Gateway {
    /// One page of the grid with the Σ totals and the chart of everything the query matches.
    pub async fn invocations(&self, query: &InvocationQuery) -> Result<InvocationPage> {
        search(self.store(), query, now_ms()).await
    }

    pub async fn invocation(&self, id: &str) -> Result<InvocationDetail> {
        find(self.store(), id).await
    }

    /// The integration slugs that have calls, for the integration filter.
    pub async fn invoked_integrations(&self) -> Result<Vec<String>> {
        integrations(self.store()).await
    }

    /// Every row the query matches (its page aside), in the grid's order, as CSV with a header
    /// line or as the JSON document `{"invocations": [{…}, …]}`; with `exchanges`, each row's kept
    /// prompt and answer too.
    pub async fn export_invocations(
        &self,
        query: &InvocationQuery,
        export: Export,
    ) -> Result<String> {
        self::export(self.store(), query, export).await
    }

    /// Stores the document's rows; rows whose id is already stored are skipped and counted apart.
    pub async fn import_invocations(&self, document: InvocationImport) -> Result<ImportCount> {
        import(self.store(), document).await
    }
}

/// The query's filters, checked: dates became a half-open range of epoch milliseconds.
#[derive(Debug)]
struct Filters {
    /// `%needle%`, lower-cased, with `%`, `_` and `\` escaped.
    pattern: Option<String>,
    status: Option<InvocationStatus>,
    caller_type: Option<String>,
    integration: Option<String>,
    from_ms: Option<i64>,
    /// Midnight after the last day: the whole "until" day is included.
    before_ms: Option<i64>,
}

impl Filters {
    fn parse(query: &InvocationQuery) -> Result<Self> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let from_ms = text(&query.from)
            .map(|d| day_start_ms(&d).ok_or_else(|| bad_date("from", &d)))
            .transpose()?;
        let before_ms = text(&query.until)
            .map(|d| {
                day_start_ms(&d)
                    .map(|start| start + DAY_MS)
                    .ok_or_else(|| bad_date("until", &d))
            })
            .transpose()?;
        if let (Some(from), Some(before)) = (from_ms, before_ms)
            && from >= before
        {
            return Err(Error::invalid(
                "until",
                "The last day comes before the first.",
            ));
        }
        let needle = query.search.trim().to_lowercase();
        let pattern = (!needle.is_empty()).then(|| {
            let escaped = needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        Ok(Self {
            pattern,
            status: query.status,
            caller_type: text(&query.caller_type),
            integration: text(&query.integration),
            from_ms,
            before_ms,
        })
    }

    /// Appends ` where …` (or nothing) to the statement.
    fn push_where(&self, sql: &mut Sql) {
        let mut word = " where ";
        let mut next = |sql: &mut Sql| {
            sql.push(word);
            word = " and ";
        };
        if let Some(pattern) = &self.pattern {
            next(sql);
            sql.push("(lower(integration_slug) like ");
            sql.bind(Bind::Text(pattern.clone()));
            sql.push(" escape '\\' or lower(coalesce(model_used, '')) like ");
            sql.bind(Bind::Text(pattern.clone()));
            sql.push(" escape '\\')");
        }
        let equal = [
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("caller_type", self.caller_type.clone()),
            ("integration_slug", self.integration.clone()),
        ];
        for (column, value) in equal {
            if let Some(value) = value {
                next(sql);
                sql.push(column);
                sql.push(" = ");
                sql.bind(Bind::Text(value));
            }
        }
        if let Some(from) = self.from_ms {
            next(sql);
            sql.push("created_at >= ");
            sql.bind(Bind::Int(from));
        }
        if let Some(before) = self.before_ms {
            next(sql);
            sql.push("created_at < ");
            sql.bind(Bind::Int(before));
        }
    }
}

fn bad_date(field: &str, text: &str) -> Error {
    Error::invalid(
        field,
        format!("{text:?} is not a date; expected YYYY-MM-DD (UTC)."),
    )
}

/// Midnight UTC of a `YYYY-MM-DD` day, in epoch milliseconds.
fn day_start_ms(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// `2026-11-30 14:05:09 UTC`.
pub fn utc_text(ms: i64) -> String {
    utc(ms).map_or_else(|| format!("{ms} ms"), |t| stamp(t, ' ', " UTC"))
}

/// `2026-11-30T14:05:09Z`: RFC 3339 in UTC, whole seconds; `None` outside the calendar.
pub fn rfc3339(ms: i64) -> Option<String> {
    utc(ms).map(|t| stamp(t, 'T', "Z"))
}

fn stamp(t: time::OffsetDateTime, between: char, zone: &str) -> String {
    format!(
        "{:04}-{:02}-{:02}{between}{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn utc(ms: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn bucket_label(start_ms: i64, size: BucketSize) -> String {
    let Some(t) = utc(start_ms) else {
        return start_ms.to_string();
    };
    let day = format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
    match size {
        BucketSize::Day => day,
        BucketSize::Hour => format!("{day} {:02}:00", t.hour()),
    }
}

/// A bound value.
#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Text(String),
}

/// A statement with its bound values: `$n` placeholders for PostgreSQL, `?` for SQLite (the
/// portable driver passes them through as written).
#[derive(Debug)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
    numbered: bool,
}

impl Sql {
    fn new(store: &Store, text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
            numbered: store.engine() == gateway_types::Engine::Postgres,
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, value: Bind) {
        self.binds.push(value);
        if self.numbered {
            self.text.push('$');
            self.text.push_str(&self.binds.len().to_string());
        } else {
            self.text.push('?');
        }
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        self.binds
            .iter()
            .fold(sqlx::query(&self.text), |query, value| match value {
                Bind::Int(n) => query.bind(*n),
                Bind::Text(t) => query.bind(t.as_str()),
            })
    }
}

/// `order by …` for the sort, nulls last on both engines, newest first among equals.
fn order_by(query: &InvocationQuery) -> String {
    let direction = match query.direction {
        SortDirection::Asc => "asc",
        SortDirection::Desc => "desc",
    };
    let column = match query.sort {
        InvocationSort::Time => {
            return format!(" order by created_at {direction}, id {direction}");
        }
        InvocationSort::Status => "status",
        InvocationSort::Latency => "latency_ms",
        InvocationSort::Cost => "cost_nanos",
    };
    format!(
        " order by case when {column} is null then 1 else 0 end, {column} {direction}, created_at desc, id desc"
    )
}

const ROW_COLUMNS: &str =
    "select id, created_at, integration_slug, status, model_used, caller_type,
    prompt_tokens, completion_tokens, cost_nanos, latency_ms from ai_invocations";

pub async fn search(store: &Store, query: &InvocationQuery, now: i64) -> Result<InvocationPage> {
    let filters = Filters::parse(query)?;
    let per_page = InvocationQuery::PER_PAGE;
    let page = query.page.max(1);

    let mut sql = Sql::new(store, ROW_COLUMNS);
    filters.push_where(&mut sql);
    sql.push(&order_by(query));
    sql.push(" limit ");
    sql.bind(Bind::Int(i64::from(per_page)));
    sql.push(" offset ");
    sql.bind(Bind::Int(i64::from(page - 1) * i64::from(per_page)));
    let items = sql
        .query()
        .fetch_all(store.pool())
        .await
        .context("listing invocations")?
        .iter()
        .map(read_row)
        .collect::<Result<Vec<_>>>()?;

    let (totals, extent) = sum(store, &filters).await?;
    let chart = chart(store, &filters, extent).await?;
    Ok(InvocationPage {
        rows: Page {
            items,
            total: totals.count,
            page,
            per_page,
        },
        totals,
        chart,
        now_ms: now,
    })
}

fn totals_sql(store: &Store, filters: &Filters) -> Sql {
    // PostgreSQL sums bigints as numeric, which the portable driver cannot read: cast back.
    let mut sql = Sql::new(
        store,
        "select count(*) as calls,
            cast(coalesce(sum(prompt_tokens), 0) as bigint) as prompt_tokens,
            cast(coalesce(sum(completion_tokens), 0) as bigint) as completion_tokens,
            cast(coalesce(sum(cost_nanos), 0) as bigint) as cost_nanos,
            min(created_at) as first_at, max(created_at) as last_at
         from ai_invocations",
    );
    filters.push_where(&mut sql);
    sql
}

/// The Σ row alone: sums over every row the query matches.
pub async fn totals(store: &Store, query: &InvocationQuery) -> Result<InvocationTotals> {
    Ok(sum(store, &Filters::parse(query)?).await?.0)
}

/// The Σ row and the first and last matching call times.
async fn sum(store: &Store, filters: &Filters) -> Result<(InvocationTotals, Option<(i64, i64)>)> {
    let row = totals_sql(store, filters)
        .query()
        .fetch_one(store.pool())
        .await
        .context("summing invocations")?;
    let calls: i64 = row.try_get("calls").context("reading the totals")?;
    let totals = InvocationTotals {
        count: u64::try_from(calls).unwrap_or_default(),
        prompt_tokens: row.try_get("prompt_tokens").context("reading the totals")?,
        completion_tokens: row
            .try_get("completion_tokens")
            .context("reading the totals")?,
        cost: NanoUsd(row.try_get("cost_nanos").context("reading the totals")?),
    };
    let first: Option<i64> = row.try_get("first_at").context("reading the totals")?;
    let last: Option<i64> = row.try_get("last_at").context("reading the totals")?;
    Ok((totals, first.zip(last)))
}

/// Calls, errors and spend per hour (ranges up to three days) or per day, over the filtered
/// date range, or over the matching calls when the range is open.
async fn chart(
    store: &Store,
    filters: &Filters,
    extent: Option<(i64, i64)>,
) -> Result<InvocationChart> {
    let Some((first, last)) = extent else {
        return Ok(InvocationChart {
            bucket: BucketSize::Day,
            buckets: Vec::new(),
        });
    };
    let mut start = filters.from_ms.unwrap_or(first);
    let mut end = filters.before_ms.unwrap_or(last + 1);
    let size = if end - start <= HOURLY_UP_TO_MS {
        BucketSize::Hour
    } else {
        BucketSize::Day
    };
    let width = size.millis();
    if (end - start) / width > MAX_BUCKETS {
        start = start.max(first);
        end = end.min(last + 1);
    }

    let mut sql = Sql::new(store, "select created_at / ");
    sql.bind(Bind::Int(width));
    sql.push(
        " as bucket, count(*) as calls,
            cast(sum(case when status = 'error' then 1 else 0 end) as bigint) as errors,
            cast(coalesce(sum(cost_nanos), 0) as bigint) as cost_nanos
         from ai_invocations",
    );
    filters.push_where(&mut sql);
    sql.push(" group by 1 order by 1");
    let found = sql
        .query()
        .fetch_all(store.pool())
        .await
        .context("charting invocations")?;
    let mut counted = std::collections::BTreeMap::new();
    for row in &found {
        let bucket: i64 = row.try_get("bucket").context("reading the chart")?;
        let calls: i64 = row.try_get("calls").context("reading the chart")?;
        let errors: i64 = row.try_get("errors").context("reading the chart")?;
        let cost: i64 = row.try_get("cost_nanos").context("reading the chart")?;
        counted.insert(bucket * width, (calls, errors, cost));
    }
    let bucket = |start_ms: i64, (calls, errors, cost): (i64, i64, i64)| ChartBucket {
        start_ms,
        label: bucket_label(start_ms, size),
        calls: u64::try_from(calls).unwrap_or_default(),
        errors: u64::try_from(errors).unwrap_or_default(),
        cost: NanoUsd(cost),
    };
    let first_bucket = start.div_euclid(width) * width;
    let buckets = if (end - first_bucket) / width > MAX_BUCKETS * 5 {
        // Years of history: only the days with calls, rather than thousands of empty bars.
        counted.into_iter().map(|(s, v)| bucket(s, v)).collect()
    } else {
        (first_bucket..end)
            .step_by(usize::try_from(width).unwrap_or(usize::MAX))
            .map(|s| bucket(s, counted.get(&s).copied().unwrap_or_default()))
            .collect()
    };
    Ok(InvocationChart {
        bucket: size,
        buckets,
    })
}

/// How the engine runs the Σ statement of this query, one line per step (`explain query plan`
/// on SQLite, `explain` on PostgreSQL): what the index checks of the benchmark print.
pub async fn explain_totals(store: &Store, query: &InvocationQuery) -> Result<Vec<String>> {
    let filters = Filters::parse(query)?;
    let sqlite = store.engine() == gateway_types::Engine::Sqlite;
    let mut sql = totals_sql(store, &filters);
    sql.text.insert_str(
        0,
        if sqlite {
            "explain query plan "
        } else {
            "explain "
        },
    );
    let steps = sql
        .query()
        .fetch_all(store.pool())
        .await
        .context("explaining the totals")?;
    steps
        .iter()
        .map(|step| step.try_get::<String, _>(if sqlite { 3 } else { 0 }))
        .collect::<Result<_, _>>()
        .context("reading the plan")
}

fn read_status(row: &AnyRow) -> Result<InvocationStatus> {
    let text: String = row.try_get("status").context("reading an invocation")?;
    InvocationStatus::parse(&text).ok_or_else(|| Error::Corrupt(format!("status {text:?}")))
}

fn read_row(row: &AnyRow) -> Result<InvocationRow> {
    let created_at_ms: i64 = row.try_get("created_at").context("reading an invocation")?;
    let cost: Option<i64> = row.try_get("cost_nanos").context("reading an invocation")?;
    Ok(InvocationRow {
        id: row.try_get("id").context("reading an invocation")?,
        created_at_ms,
        created_at: utc_text(created_at_ms),
        integration_slug: row
            .try_get("integration_slug")
            .context("reading an invocation")?,
        status: read_status(row)?,
        model_used: row.try_get("model_used").context("reading an invocation")?,
        caller_type: row
            .try_get("caller_type")
            .context("reading an invocation")?,
        prompt_tokens: row
            .try_get("prompt_tokens")
            .context("reading an invocation")?,
        completion_tokens: row
            .try_get("completion_tokens")
            .context("reading an invocation")?,
        cost: cost.map(NanoUsd),
        latency_ms: row.try_get("latency_ms").context("reading an invocation")?,
    })
}

/// The columns `read_detail` reads, as a macro so queries stay compile-time string literals.
macro_rules! detail_columns {
    () => {
        "select id, integration_slug, status, caller_type, caller_id, model_requested, model_used,
         created_at, attempts, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
         citation_count, cost_nanos, latency_ms, finish_reason, streamed, error_class,
         error_message, generation_id, conversation_id"
    };
}

const DETAIL_COLUMNS: &str = concat!(detail_columns!(), " from ai_invocations");

/// [`DETAIL_COLUMNS`] with the kept prompt and answer, read by correlated subqueries so that the
/// filters' unqualified column names stay unambiguous.
const DETAIL_WITH_EXCHANGE_COLUMNS: &str = concat!(
    detail_columns!(),
    ", (select e.prompt from ai_invocation_exchanges e where e.invocation_id = ai_invocations.id)
         as exchange_prompt,
     (select e.answer from ai_invocation_exchanges e where e.invocation_id = ai_invocations.id)
         as exchange_answer
     from ai_invocations"
);

fn read_detail(row: &AnyRow) -> Result<InvocationDetail> {
    let get_text = |column: &str| -> Result<Option<String>> {
        row.try_get(column).context("reading an invocation")
    };
    let get_int = |column: &str| -> Result<Option<i64>> {
        row.try_get(column).context("reading an invocation")
    };
    let created_at_ms: i64 = row.try_get("created_at").context("reading an invocation")?;
    Ok(InvocationDetail {
        id: row.try_get("id").context("reading an invocation")?,
        integration_slug: row
            .try_get("integration_slug")
            .context("reading an invocation")?,
        status: read_status(row)?,
        caller_type: row
            .try_get("caller_type")
            .context("reading an invocation")?,
        caller_id: get_text("caller_id")?,
        model_requested: get_text("model_requested")?,
        model_used: get_text("model_used")?,
        created_at_ms,
        created_at: utc_text(created_at_ms),
        attempts: row.try_get("attempts").context("reading an invocation")?,
        prompt_tokens: get_int("prompt_tokens")?,
        completion_tokens: get_int("completion_tokens")?,
        cached_tokens: get_int("cached_tokens")?,
        reasoning_tokens: get_int("reasoning_tokens")?,
        citation_count: get_int("citation_count")?,
        cost: get_int("cost_nanos")?.map(NanoUsd),
        latency_ms: row.try_get("latency_ms").context("reading an invocation")?,
        finish_reason: get_text("finish_reason")?,
        streamed: flag(row, "streamed").context("reading an invocation")?,
        error_class: get_text("error_class")?,
        error_message: get_text("error_message")?,
        generation_id: get_text("generation_id")?,
        conversation_id: get_text("conversation_id")?,
        exchange: None,
    })
}

/// [`read_detail`] of a row read with [`DETAIL_WITH_EXCHANGE_COLUMNS`].
fn read_detail_with_exchange(row: &AnyRow) -> Result<InvocationDetail> {
    let prompt: Option<String> = row
        .try_get("exchange_prompt")
        .context("reading an invocation")?;
    let answer: Option<String> = row
        .try_get("exchange_answer")
        .context("reading an invocation")?;
    Ok(InvocationDetail {
        exchange: prompt.map(|prompt| InvocationExchange { prompt, answer }),
        ..read_detail(row)?
    })
}

pub async fn find(store: &Store, id: &str) -> Result<InvocationDetail> {
    let mut sql = Sql::new(store, DETAIL_WITH_EXCHANGE_COLUMNS);
    sql.push(" where id = ");
    sql.bind(Bind::Text(id.to_owned()));
    let row = sql
        .query()
        .fetch_optional(store.pool())
        .await
        .context("reading an invocation")?
        .ok_or(Error::NotFound("invocation"))?;
    read_detail_with_exchange(&row)
}

pub async fn integrations(store: &Store) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "select distinct integration_slug from ai_invocations order by integration_slug",
    )
    .fetch_all(store.pool())
    .await
    .context("listing invoked integrations")
}

/// The export's columns, in order.
const CSV_HEADER: [&str; 19] = [
    "created_at",
    "id",
    "integration",
    "status",
    "caller_type",
    "caller_id",
    "model_requested",
    "model_used",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
    "latency_ms",
    "citations",
    "generation_id",
    "conversation_id",
    "error_class",
    "error_message",
];

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A header line and one line per row, for spreadsheets.
    #[default]
    Csv,
    /// `{"invocations": [{…}, …]}`, each row as the invocation detail shows it.
    Json,
}

/// What an export writes besides the rows the query matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Export {
    pub format: ExportFormat,
    /// Adds each row's kept prompt and answer.
    pub exchanges: bool,
}

pub async fn export(store: &Store, query: &InvocationQuery, export: Export) -> Result<String> {
    let rows = export_rows(store, query, export.exchanges).await?;
    Ok(match export.format {
        ExportFormat::Csv => csv(&rows, export.exchanges),
        ExportFormat::Json => json(&rows),
    })
}

async fn export_rows(
    store: &Store,
    query: &InvocationQuery,
    exchanges: bool,
) -> Result<Vec<InvocationDetail>> {
    let filters = Filters::parse(query)?;
    let mut sql = Sql::new(
        store,
        if exchanges {
            DETAIL_WITH_EXCHANGE_COLUMNS
        } else {
            DETAIL_COLUMNS
        },
    );
    filters.push_where(&mut sql);
    sql.push(&order_by(query));
    let statement = sql.query();
    let mut rows = statement.fetch(store.pool());
    let mut details = Vec::new();
    while let Some(row) = rows.try_next().await.context("exporting invocations")? {
        details.push(if exchanges {
            read_detail_with_exchange(&row)?
        } else {
            read_detail(&row)?
        });
    }
    Ok(details)
}

/// The rows as CSV: a header line, then one line per row, with the prompt and answer columns
/// when `exchanges` asked for them.
fn csv(rows: &[InvocationDetail], exchanges: bool) -> String {
    let mut csv = CSV_HEADER.join(",");
    if exchanges {
        csv.push_str(",prompt,answer");
    }
    csv.push_str("\r\n");
    for d in rows {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let line = [
            csv_text(&format!(
                "{}Z",
                d.created_at.trim_end_matches(" UTC").replacen(' ', "T", 1)
            )),
            csv_text(&d.id),
            csv_text(&d.integration_slug),
            d.status.as_str().to_owned(),
            csv_text(&d.caller_type),
            csv_text(d.caller_id.as_deref().unwrap_or_default()),
            csv_text(d.model_requested.as_deref().unwrap_or_default()),
            csv_text(d.model_used.as_deref().unwrap_or_default()),
            number(d.prompt_tokens),
            number(d.completion_tokens),
            number(d.cached_tokens),
            number(d.reasoning_tokens),
            d.cost.map(NanoUsd::usd_text).unwrap_or_default(),
            d.latency_ms.to_string(),
            number(d.citation_count),
            csv_text(d.generation_id.as_deref().unwrap_or_default()),
            csv_text(d.conversation_id.as_deref().unwrap_or_default()),
            csv_text(d.error_class.as_deref().unwrap_or_default()),
            csv_text(d.error_message.as_deref().unwrap_or_default()),
        ];
        csv.push_str(&line.join(","));
        if exchanges {
            let exchange = d.exchange.as_ref();
            csv.push(',');
            csv.push_str(&csv_text(exchange.map_or("", |e| e.prompt.as_str())));
            csv.push(',');
            csv.push_str(&csv_text(
                exchange
                    .and_then(|e| e.answer.as_deref())
                    .unwrap_or_default(),
            ));
        }
        csv.push_str("\r\n");
    }
    csv
}

/// The rows as `{"invocations": [{…}, …]}`.
fn json(rows: &[InvocationDetail]) -> String {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        invocations: &'a [InvocationDetail],
    }
    crate::error::to_json(&Document { invocations: rows })
}

/// A text cell: quoted when it holds a separator, quote or line break; a leading `=`, `+`, `-`,
/// `@`, TAB or CR is defused with `'` so that a spreadsheet never runs an error message as a
/// formula (spreadsheets skip a leading TAB or CR and read the formula behind it).
fn csv_text(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// A document of invocation rows to store, e.g. history moved from another deployment or demo
/// data: `{"invocations": [{…}, …]}`, each row with the columns of `ai_invocations` (the cost
/// as `cost_nanos`, the time as `created_at_ms`); an `id` makes a second import skip the row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvocationImport {
    pub invocations: Vec<InvocationRecord>,
}

fn check(index: usize, record: &mut InvocationRecord) -> Result<()> {
    let field = |name: &str| format!("invocations[{index}].{name}");
    if record.integration_slug.trim().is_empty() {
        return Err(Error::invalid(
            &field("integration_slug"),
            "must not be empty",
        ));
    }
    if record.caller_type.trim().is_empty() {
        return Err(Error::invalid(&field("caller_type"), "must not be empty"));
    }
    if record.created_at_ms < 0 {
        return Err(Error::invalid(
            &field("created_at_ms"),
            "must not be negative",
        ));
    }
    if record.cost.is_some_and(|c| c.0 < 0) {
        return Err(Error::invalid(&field("cost_nanos"), "must not be negative"));
    }
    if let Some(message) = record.error_message.as_mut() {
        telemetry::truncate_chars(message, telemetry::MAX_ERROR_MESSAGE);
    }
    if let Some(exchange) = record.exchange.as_mut() {
        exchange.bound();
    }
    Ok(())
}

/// What an import did with the document's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCount {
    /// Rows stored by this import.
    pub inserted: u64,
    /// Rows left alone because their id was already stored (by an earlier import or this one).
    pub skipped: u64,
}

pub async fn import(store: &Store, mut document: InvocationImport) -> Result<ImportCount> {
    for (index, record) in document.invocations.iter_mut().enumerate() {
        check(index, record)?;
    }
    let mut inserted = 0;
    for chunk in document.invocations.chunks(telemetry::BATCH) {
        inserted += telemetry::insert(store, chunk).await?;
    }
    let total = u64::try_from(document.invocations.len()).unwrap_or(u64::MAX);
    Ok(ImportCount {
        inserted,
        skipped: total.saturating_sub(inserted),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_read_as_its_utc_midnight() {
        assert_eq!(day_start_ms("1970-01-02"), Some(DAY_MS));
        assert_eq!(day_start_ms("2026-11-30"), Some(1_795_996_800_000));
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "30/11/2026",
            "2026-1-1",
            "",
            "x-y-z",
        ] {
            assert_eq!(day_start_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_read_as_utc_text() {
        assert_eq!(
            utc_text(1_795_996_800_000 + 3_723_000),
            "2026-11-30 01:02:03 UTC"
        );
        assert_eq!(
            rfc3339(1_795_996_800_000 + 3_723_999).as_deref(),
            Some("2026-11-30T01:02:03Z")
        );
        assert_eq!(rfc3339(i64::MAX), None);
        assert_eq!(
            bucket_label(1_795_996_800_000 + 3_600_000, BucketSize::Hour),
            "2026-11-30 01:00"
        );
        assert_eq!(
            bucket_label(1_795_996_800_000, BucketSize::Day),
            "2026-11-30"
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        for formula in ["+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"] {
            assert!(
                csv_text(formula).trim_start_matches('"').starts_with('\''),
                "{formula:?}"
            );
        }
        assert_eq!(csv_text("\t=1"), "'\t=1");
        assert_eq!(csv_text("\r=1"), "\"'\r=1\"");
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        let query = InvocationQuery {
            search: " 50%_Off\\ ".to_owned(),
            ..InvocationQuery::default()
        };
        let filters = Filters::parse(&query).unwrap();
        assert_eq!(filters.pattern.as_deref(), Some("%50\\%\\_off\\\\%"));
    }
}
