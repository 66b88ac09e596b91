//! What the console's settings and API tokens pages do through the core: settings are checked
//! before they are saved and apply to the next call, console tokens get one of the offered
//! lifetimes, and revoked tokens leave the list.

use gateway::Error;
use gateway::types::{NanoUsd, NewToken, Settings, TokenCreated};

use crate::helpers::TestGateway;

crate::on_each_engine!(
    settings_are_checked_then_saved_and_seen_by_the_next_call,
    |t: TestGateway| async move {
        let refused = t
            .gateway
            .save_settings(&Settings {
                conversation_ttl_minutes: 0,
                ..Settings::default()
            })
            .await;
        let Err(Error::Invalid(errors)) = refused else {
            panic!("saved a zero lifetime: {refused:?}");
        };
        assert!(errors.0.contains_key("conversation_ttl_minutes"));
        assert_eq!(t.gateway.settings_page().settings, Settings::default());

        let changed = Settings {
            api_enabled: false,
            prompt_builder_model: "openai/gpt-4o-mini".to_owned(),
            default_daily_cap: Some(NanoUsd::from_usd(2.5)),
            ..Settings::default()
        };
        t.gateway.save_settings(&changed).await.unwrap();
        assert_eq!(t.gateway.settings_page().settings, changed);
        assert_eq!(t.gateway.snapshot().settings, changed);
        // Another node (or a restart) reads the same values back from the database.
        let other = t.another_node().await;
        assert_eq!(other.snapshot().settings, changed);
        other.close().await;
        t
    }
);

crate::on_each_engine!(
    the_docs_are_offered_only_while_the_api_is_on,
    config = |c| c.api_docs_path = Some("/api/ai/docs".to_owned()),
    |t: TestGateway| async move {
        assert_eq!(
            t.gateway.status().await.api_docs_path.as_deref(),
            Some("/api/ai/docs")
        );
        t.gateway
            .save_settings(&Settings {
                api_enabled: false,
                ..Settings::default()
            })
            .await
            .unwrap();
        assert_eq!(t.gateway.status().await.api_docs_path, None);
        t
    }
);

crate::on_each_engine!(
    console_tokens_get_an_offered_lifetime_and_leave_the_list_when_revoked,
    |t: TestGateway| async move {
        let created = t
            .gateway
            .create_console_token(
                &NewToken {
                    name: "n8n production".to_owned(),
                    lifetime_days: Some(30),
                },
                "admin@example.com",
            )
            .await
            .unwrap();
        let TokenCreated::Created { token, secret } = created else {
            panic!("not created: {created:?}");
        };
        assert!(secret.starts_with(&format!("{}|", token.id)));
        assert_eq!(token.abilities, ["ai-gateway:invoke"]);
        assert_eq!(token.created_by.as_deref(), Some("admin@example.com"));
        assert!(token.expires_at.is_some() && !token.expired);
        assert!(t.gateway.verify_token(&secret).is_ok());

        for (name, days, field) in [("odd", Some(5), "lifetime_days"), (" ", None, "name")] {
            let refused = t
                .gateway
                .create_console_token(
                    &NewToken {
                        name: name.to_owned(),
                        lifetime_days: days,
                    },
                    "admin@example.com",
                )
                .await
                .unwrap();
            let TokenCreated::Invalid(errors) = refused else {
                panic!("created {name:?} for {days:?} days");
            };
            assert!(errors.0.contains_key(field), "{errors:?}");
        }

        let rows = t.gateway.token_rows().await.unwrap();
        assert_eq!(rows, std::slice::from_ref(&token));
        t.gateway.revoke_token(token.id).await.unwrap();
        assert!(t.gateway.token_rows().await.unwrap().is_empty());
        assert!(t.gateway.verify_token(&secret).is_err());
        t
    }
);
