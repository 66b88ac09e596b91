//! Conversations: threads that remember, belong to their caller, expire when idle and are pruned.

use gateway::{Call, Caller, CallerKind, Error, Outcome, Turn};
use serde_json::json;

use crate::helpers::{TestGateway, args};

fn caller(id: &str) -> Caller {
    Caller {
        kind: CallerKind::Api,
        id: Some(id.to_owned()),
    }
}

fn turn(slug: &str, who: &str, turn: Turn) -> Call {
    Call {
        caller: caller(who),
        turn,
        ..Call::live(slug, args(json!({"question": "hi"})))
    }
}

async fn start_conversation(
    t: &TestGateway,
    slug: &str,
    who: &str,
) -> Result<gateway::conversations::Conversation, Error> {
    match t.gateway.call(turn(slug, who, Turn::Start)).await? {
        Outcome::Started(conversation) => Ok(conversation),
        other => panic!("expected a thread, got {other:?}"),
    }
}

async fn say(
    t: &TestGateway,
    id: Option<&str>,
    message: &str,
    who: &str,
) -> Result<gateway::InvokeResult, Error> {
    let next = Turn::Continue {
        conversation_id: id.map(str::to_owned),
        message: message.to_owned(),
    };
    t.gateway.call(turn("chatty", who, next)).await?.into_done()
}

async fn chatty(t: &TestGateway) -> i64 {
    t.integration("chatty", |f, _| {
        f.conversational = true;
        f.conversation_ttl_minutes = Some(60);
    })
    .await
}

async fn scalar(t: &TestGateway, sql: &str, id: &str) -> i64 {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(t.database.url())
        .await
        .unwrap();
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

crate::on_each_engine!(
    a_thread_starts_keeps_both_turns_and_continues_by_id,
    |t: TestGateway| async move {
        chatty(&t).await;
        let first = say(&t, None, "My name is Andre", "token:1").await.unwrap();
        let id = first.conversation_id.clone().expect("a conversation id");
        let second = say(&t, Some(&id), "What is my name?", "token:1")
            .await
            .unwrap();
        assert_eq!(second.conversation_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            scalar(
                &t,
                "select count(*) from ai_conversation_messages where conversation_id = $1",
                &id
            )
            .await,
            4
        );
        assert_eq!(
            scalar(
                &t,
                "select message_count from ai_conversations where id = $1",
                &id
            )
            .await,
            4
        );
        t
    }
);

crate::on_each_engine!(
    earlier_turns_are_replayed_as_history,
    |t: TestGateway| async move {
        chatty(&t).await;
        let id = say(&t, None, "first message", "a")
            .await
            .unwrap()
            .conversation_id
            .unwrap();
        let second = say(&t, Some(&id), "second message", "a").await.unwrap();
        // The simulator counts every message it was sent: the second turn's prompt is larger.
        let first_prompt = t
            .gateway
            .invoke("chatty", args(json!({"question": "hi"})))
            .await
            .unwrap()
            .usage
            .prompt_tokens;
        assert!(second.usage.prompt_tokens > first_prompt + 2);
        t
    }
);

crate::on_each_engine!(
    someone_elses_or_unknown_thread_is_not_found,
    |t: TestGateway| async move {
        chatty(&t).await;
        let id = say(&t, None, "mine", "owner")
            .await
            .unwrap()
            .conversation_id
            .unwrap();
        assert!(matches!(
            say(&t, Some(&id), "hijack", "intruder").await,
            Err(Error::NotFound("conversation"))
        ));
        let random = uuid::Uuid::new_v4().to_string();
        assert!(matches!(
            say(&t, Some(&random), "guess", "owner").await,
            Err(Error::NotFound("conversation"))
        ));
        t
    }
);

crate::on_each_engine!(a_closed_thread_is_not_found, |t: TestGateway| async move {
    chatty(&t).await;
    let id = say(&t, None, "bye soon", "a")
        .await
        .unwrap()
        .conversation_id
        .unwrap();
    gateway::conversations::close(t.gateway.store(), &id, "api", Some("a"), gateway::now_ms())
        .await
        .unwrap();
    assert!(matches!(
        say(&t, Some(&id), "still there?", "a").await,
        Err(Error::NotFound(_))
    ));
    t
});

crate::on_each_engine!(
    every_turn_pushes_the_idle_expiry_forward,
    |t: TestGateway| async move {
        chatty(&t).await;
        let id = say(&t, None, "one", "a")
            .await
            .unwrap()
            .conversation_id
            .unwrap();
        let first_expiry = scalar(
            &t,
            "select expires_at from ai_conversations where id = $1",
            &id,
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        say(&t, Some(&id), "two", "a").await.unwrap();
        let second_expiry = scalar(
            &t,
            "select expires_at from ai_conversations where id = $1",
            &id,
        )
        .await;
        assert!(second_expiry > first_expiry);
        let last_activity = scalar(
            &t,
            "select last_activity_at from ai_conversations where id = $1",
            &id,
        )
        .await;
        assert_eq!(second_expiry - last_activity, 60 * 60_000);
        t
    }
);

crate::on_each_engine!(
    the_user_turn_is_kept_when_the_model_fails,
    |t: TestGateway| async move {
        let id = chatty(&t).await;
        let thread = say(&t, None, "hello", "a")
            .await
            .unwrap()
            .conversation_id
            .unwrap();
        let mut broken = crate::helpers::draft();
        broken.models = vec!["simulator/error-503".to_owned()];
        t.gateway.save_version(id, &broken, None).await.unwrap();
        assert!(matches!(
            say(&t, Some(&thread), "are you there?", "a").await,
            Err(Error::Upstream(_))
        ));
        assert_eq!(
            scalar(
                &t,
                "select count(*) from ai_conversation_messages where conversation_id = $1",
                &thread
            )
            .await,
            3
        );
        t
    }
);

crate::on_each_engine!(
    pruning_deletes_expired_threads_with_their_messages,
    |t: TestGateway| async move {
        chatty(&t).await;
        let id = say(&t, None, "soon gone", "a")
            .await
            .unwrap()
            .conversation_id
            .unwrap();
        let idle = start_conversation(&t, "chatty", "b").await.unwrap();
        assert_eq!(
            gateway::conversations::prune(t.gateway.store(), gateway::now_ms())
                .await
                .unwrap(),
            0
        );
        let an_hour_later = gateway::now_ms() + 61 * 60_000;
        assert_eq!(
            gateway::conversations::prune(t.gateway.store(), an_hour_later)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            scalar(
                &t,
                "select count(*) from ai_conversation_messages where conversation_id = $1",
                &id
            )
            .await,
            0
        );
        assert_eq!(
            scalar(
                &t,
                "select count(*) from ai_conversations where id = $1",
                &idle.id
            )
            .await,
            0
        );
        t
    }
);

crate::on_each_engine!(
    an_integration_without_conversations_refuses_them,
    |t: TestGateway| async move {
        t.integration("oneshot", |_, _| {}).await;
        assert!(matches!(
            start_conversation(&t, "oneshot", "a").await,
            Err(Error::Conflict(_))
        ));
        t
    }
);
