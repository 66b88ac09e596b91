//! Conversations: threads of turns with one integration, owned by the caller that started them,
//! expiring after a period of inactivity. Only the storage rules live here; composing a turn's
//! messages and calling the model happens in `invoke`.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result, StoreContext};
use crate::store::Store;

const MINUTE_MS: i64 = 60_000;

/// A stored thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: String,
    pub integration_id: i64,
    pub caller_type: String,
    pub caller_id: Option<String>,
    pub message_count: i64,
    pub last_activity_at_ms: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// One stored turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

macro_rules! columns {
    () => {
        "id, integration_id, caller_type, caller_id, message_count, last_activity_at, expires_at, created_at"
    };
}

/// Opens a thread; with `busy_until`, its first turn is claimed in the same statement (a
/// converse call that starts the thread), so no other call can slip in between.
pub async fn start(
    store: &Store,
    integration_id: i64,
    caller_type: &str,
    caller_id: Option<&str>,
    ttl_minutes: u32,
    busy_until: Option<i64>,
    now: i64,
) -> Result<Conversation> {
    let conversation = Conversation {
        id: uuid::Uuid::new_v4().to_string(),
        integration_id,
        caller_type: caller_type.to_owned(),
        caller_id: caller_id.map(str::to_owned),
        message_count: 0,
        last_activity_at_ms: now,
        expires_at_ms: now + i64::from(ttl_minutes) * MINUTE_MS,
        created_at_ms: now,
    };
    sqlx::query(
        "insert into ai_conversations (id, integration_id, caller_type, caller_id, status, message_count,
             last_activity_at, expires_at, created_at, busy_until)
         values ($1, $2, $3, $4, 'active', 0, $5, $6, $5, $7)",
    )
    .bind(&conversation.id)
    .bind(integration_id)
    .bind(caller_type)
    .bind(caller_id)
    .bind(now)
    .bind(conversation.expires_at_ms)
    .bind(busy_until)
    .execute(store.pool())
    .await
    .context("starting a conversation")?;
    Ok(conversation)
}

/// Claims the thread for one turn. A thread of another caller or integration, a closed or an
/// expired one all answer "not found", so a guessed id reveals nothing; a thread with a turn in
/// flight answers `Conflict`. The claim lapses after `hold_ms` in case its node dies.
pub async fn claim_turn(
    store: &Store,
    id: &str,
    integration_id: i64,
    caller_type: &str,
    caller_id: Option<&str>,
    hold_ms: i64,
    now: i64,
) -> Result<Conversation> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        ", busy_until from ai_conversations
         where id = $1 and integration_id = $2 and caller_type = $3
           and (caller_id = $4 or (caller_id is null and $4 is null))
           and status = 'active' and expires_at > $5"
    ))
    .bind(id)
    .bind(integration_id)
    .bind(caller_type)
    .bind(caller_id)
    .bind(now)
    .fetch_optional(store.pool())
    .await
    .context("reading a conversation")?
    .ok_or(Error::NotFound("conversation"))?;
    let conversation = from_row(&row)?;
    let claimed = sqlx::query(
        "update ai_conversations set busy_until = $2
         where id = $1 and (busy_until is null or busy_until <= $3)",
    )
    .bind(id)
    .bind(now + hold_ms)
    .bind(now)
    .execute(store.pool())
    .await
    .context("claiming a conversation turn")?;
    if claimed.rows_affected() == 0 {
        return Err(Error::Conflict(gateway_types::FieldErrors::single(
            "conversation_id",
            "Another turn of this conversation is still running; wait for it to finish.",
        )));
    }
    Ok(conversation)
}

/// Every stored turn, oldest first.
pub async fn history(store: &Store, id: &str) -> Result<Vec<Message>> {
    let rows = sqlx::query(
        "select role, content from ai_conversation_messages where conversation_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await
    .context("reading a conversation's history")?;
    rows.iter()
        .map(|row| {
            Ok(Message {
                role: row.try_get("role").context("reading a message")?,
                content: row.try_get("content").context("reading a message")?,
            })
        })
        .collect()
}

/// Stores a finished turn and releases the claim: the user's message always (so a failed call
/// loses nothing), the answer when there is one. Each turn pushes the idle expiry forward.
pub async fn finish_turn(
    store: &Store,
    id: &str,
    user_message: &str,
    answer: Option<(&str, &str)>,
    ttl_minutes: u32,
    now: i64,
) -> Result<()> {
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to store a turn")?;
    sqlx::query(
        "insert into ai_conversation_messages (conversation_id, invocation_id, role, content, created_at)
         values ($1, null, 'user', $2, $3)",
    )
    .bind(id)
    .bind(crate::store::storable(user_message).as_ref())
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("storing a user turn")?;
    if let Some((text, invocation_id)) = answer {
        sqlx::query(
            "insert into ai_conversation_messages (conversation_id, invocation_id, role, content, created_at)
             values ($1, $2, 'assistant', $3, $4)",
        )
        .bind(id)
        .bind(invocation_id)
        .bind(crate::store::storable(text).as_ref())
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("storing an assistant turn")?;
    }
    sqlx::query(
        "update ai_conversations set message_count = message_count + $2, last_activity_at = $3,
             expires_at = $4, busy_until = null
         where id = $1",
    )
    .bind(id)
    .bind(if answer.is_some() { 2_i64 } else { 1 })
    .bind(now)
    .bind(now + i64::from(ttl_minutes) * MINUTE_MS)
    .execute(&mut *tx)
    .await
    .context("touching a conversation")?;
    tx.commit().await.context("committing a turn")?;
    Ok(())
}

/// Releases a claimed turn that stored nothing (the call never started).
pub async fn release_turn(store: &Store, id: &str) -> Result<()> {
    sqlx::query("update ai_conversations set busy_until = null where id = $1")
        .bind(id)
        .execute(store.pool())
        .await
        .context("releasing a conversation turn")?;
    Ok(())
}

/// Closes a thread of this caller; later turns answer "not found".
pub async fn close(
    store: &Store,
    id: &str,
    caller_type: &str,
    caller_id: Option<&str>,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update ai_conversations set status = 'closed', closed_at = $4
         where id = $1 and caller_type = $2 and (caller_id = $3 or (caller_id is null and $3 is null))
           and status = 'active'",
    )
    .bind(id)
    .bind(caller_type)
    .bind(caller_id)
    .bind(now)
    .execute(store.pool())
    .await
    .context("closing a conversation")?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("conversation"));
    }
    Ok(())
}

/// Deletes expired and closed threads with their messages. Returns how many threads went.
pub async fn prune(store: &Store, now: i64) -> Result<u64> {
    let mut tx = store
        .pool()
        .begin()
        .await
        .context("starting to prune conversations")?;
    sqlx::query(
        "delete from ai_conversation_messages where conversation_id in
             (select id from ai_conversations where expires_at <= $1 or status = 'closed')",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("pruning conversation messages")?;
    let done =
        sqlx::query("delete from ai_conversations where expires_at <= $1 or status = 'closed'")
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("pruning conversations")?;
    tx.commit().await.context("committing a prune")?;
    Ok(done.rows_affected())
}

fn from_row(row: &AnyRow) -> Result<Conversation> {
    let read = || -> Result<Conversation, sqlx::Error> {
        Ok(Conversation {
            id: row.try_get("id")?,
            integration_id: row.try_get("integration_id")?,
            caller_type: row.try_get("caller_type")?,
            caller_id: row.try_get("caller_id")?,
            message_count: row.try_get("message_count")?,
            last_activity_at_ms: row.try_get("last_activity_at")?,
            expires_at_ms: row.try_get("expires_at")?,
            created_at_ms: row.try_get("created_at")?,
        })
    };
    read().context("decoding a conversation row")
}
