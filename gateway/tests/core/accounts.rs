//! Admin accounts through the `Gateway` handle: creation rules, sign-in with throttling, and
//! the database session store tower-sessions uses.

use std::collections::HashMap;

use gateway::Error;
use gateway::accounts::{self, LoginError, MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, Password};
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use crate::helpers::TestGateway;

const PASSWORD: &str = "correct horse battery";

fn password() -> Password {
    Password::new(PASSWORD)
}

crate::on_each_engine!(
    an_admin_is_created_with_a_normalised_email_and_signs_in,
    |t: TestGateway| async move {
        assert_eq!(t.gateway.count_admins().await.unwrap(), 0);
        let admin = t
            .gateway
            .create_admin("  Ada@Example.COM ", &password())
            .await
            .unwrap();
        assert_eq!(admin.email, "ada@example.com");
        assert_eq!(t.gateway.count_admins().await.unwrap(), 1);
        assert_eq!(
            t.gateway.find_admin(admin.id).await.unwrap(),
            Some(admin.clone())
        );
        assert_eq!(t.gateway.find_admin(admin.id + 1).await.unwrap(), None);

        let signed_in = t
            .gateway
            .login("ADA@example.com", &password(), None)
            .await
            .unwrap();
        assert_eq!(signed_in, admin);
        t
    }
);

crate::on_each_engine!(
    a_taken_email_and_a_short_password_are_field_errors,
    |t: TestGateway| async move {
        t.gateway
            .create_admin("ada@example.com", &password())
            .await
            .unwrap();
        match t.gateway.create_admin("ADA@example.com", &password()).await {
            Err(Error::Conflict(errors)) => assert!(errors.contains("email"), "{errors:?}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        match t
            .gateway
            .create_admin("bob@example.com", &Password::new("eleven char"))
            .await
        {
            Err(Error::Invalid(errors)) => assert!(errors.contains("password"), "{errors:?}"),
            other => panic!("expected a field error, got {other:?}"),
        }
        assert_eq!(t.gateway.count_admins().await.unwrap(), 1);
        t
    }
);

crate::on_each_engine!(
    wrong_passwords_and_unknown_emails_get_the_same_answer_until_the_account_locks,
    |t: TestGateway| async move {
        t.gateway
            .create_admin("ada@example.com", &password())
            .await
            .unwrap();
        let unknown = t
            .gateway
            .login("nobody@example.com", &password(), None)
            .await;
        assert!(matches!(unknown, Err(LoginError::InvalidCredentials)));
        for _ in 0..MAX_FAILURES {
            let wrong = t
                .gateway
                .login("ada@example.com", &Password::new("not the password"), None)
                .await;
            assert!(
                matches!(wrong, Err(LoginError::InvalidCredentials)),
                "{wrong:?}"
            );
        }
        // Locked: even the right password is refused, with the time to wait.
        match t.gateway.login("ada@example.com", &password(), None).await {
            Err(LoginError::Throttled { retry_after_secs }) => {
                assert!(
                    (1..=15 * 60).contains(&retry_after_secs),
                    "{retry_after_secs}"
                );
            }
            other => panic!("expected throttling, got {other:?}"),
        }
        t
    }
);

crate::on_each_engine!(
    one_address_guessing_many_accounts_is_locked_out,
    |t: TestGateway| async move {
        t.gateway
            .create_admin("ada@example.com", &password())
            .await
            .unwrap();
        let attacker = Some([203, 0, 113, 9].into());
        for n in 0..MAX_FAILURES_PER_ADDRESS {
            let email = format!("guess{n}@example.com");
            let refused = t.gateway.login(&email, &password(), attacker).await;
            assert!(matches!(refused, Err(LoginError::InvalidCredentials)));
        }
        let locked = t
            .gateway
            .login("ada@example.com", &password(), attacker)
            .await;
        assert!(
            matches!(locked, Err(LoginError::Throttled { .. })),
            "{locked:?}"
        );
        // The account itself is not locked for everyone else.
        let elsewhere = t
            .gateway
            .login(
                "ada@example.com",
                &password(),
                Some([198, 51, 100, 1].into()),
            )
            .await;
        assert!(elsewhere.is_ok(), "{elsewhere:?}");
        t
    }
);

fn record(expires_in: time::Duration) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([("admin_id".to_owned(), serde_json::json!(7))]),
        expiry_date: time::OffsetDateTime::now_utc() + expires_in,
    }
}

crate::on_each_engine!(
    sessions_are_saved_loaded_and_deleted_and_expired_ones_are_not_loaded,
    |t: TestGateway| async move {
        let sessions = t.gateway.sessions();
        let mut live = record(time::Duration::hours(1));
        sessions.create(&mut live).await.unwrap();
        let loaded = sessions.load(&live.id).await.unwrap().unwrap();
        assert_eq!(loaded.data, live.data);
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            live.expiry_date.unix_timestamp()
        );

        live.data
            .insert("theme".to_owned(), serde_json::json!("dark"));
        sessions.save(&live).await.unwrap();
        assert_eq!(
            sessions.load(&live.id).await.unwrap().unwrap().data,
            live.data
        );

        let mut expired = record(time::Duration::seconds(-1));
        sessions.create(&mut expired).await.unwrap();
        assert!(sessions.load(&expired.id).await.unwrap().is_none());
        let swept = accounts::delete_expired_sessions(t.gateway.store(), gateway::now_ms())
            .await
            .unwrap();
        assert_eq!(swept, 1);

        sessions.delete(&live.id).await.unwrap();
        assert!(sessions.load(&live.id).await.unwrap().is_none());
        t
    }
);

crate::on_each_engine!(
    creating_a_session_never_overwrites_an_existing_one,
    |t: TestGateway| async move {
        let sessions = t.gateway.sessions();
        let mut first = record(time::Duration::hours(1));
        sessions.create(&mut first).await.unwrap();
        let mut clash = record(time::Duration::hours(1));
        clash.id = first.id;
        clash.data.clear();
        sessions.create(&mut clash).await.unwrap();
        assert_ne!(clash.id, first.id);
        assert_eq!(
            sessions.load(&first.id).await.unwrap().unwrap().data,
            first.data
        );
        t
    }
);
