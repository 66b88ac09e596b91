//! Admin accounts through the `Gateway` handle: creation and deletion, sign-in with throttling
//! (also under parallel attempts, and unlocking), and the database session store tower-sessions
//! uses.

use std::collections::HashMap;
use std::net::IpAddr;

use gateway::accounts::{
    self, LoginError, MAX_FAILURES, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, Password,
};
use gateway::types::Admin;
use gateway::{Error, Gateway};
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

async fn ada(gateway: &Gateway) -> Admin {
    gateway
        .create_admin("ada@example.com", &password())
        .await
        .unwrap()
}

fn wrong() -> Password {
    Password::new("not the password")
}

fn address(last: u8) -> Option<IpAddr> {
    Some([203, 0, 113, last].into())
}

crate::on_each_engine!(
    parallel_wrong_attempts_never_get_past_the_limit,
    |t: TestGateway| async move {
        ada(&t.gateway).await;
        let attempts = (0..40).map(|_| {
            let gateway = t.gateway.clone();
            tokio::spawn(
                async move { gateway.login("ada@example.com", &wrong(), address(1)).await },
            )
        });
        let answers = futures::future::join_all(attempts).await;

        let checked = answers
            .iter()
            .filter(|a| matches!(a, Ok(Err(LoginError::InvalidCredentials))))
            .count();
        let refused = answers
            .iter()
            .filter(|a| matches!(a, Ok(Err(LoginError::Throttled { .. }))))
            .count();
        assert_eq!(
            (checked, refused),
            (MAX_FAILURES as usize, 40 - MAX_FAILURES as usize)
        );
        let right = t
            .gateway
            .login("ada@example.com", &password(), address(1))
            .await;
        assert!(
            matches!(right, Err(LoginError::Throttled { .. })),
            "{right:?}"
        );
        t
    }
);

crate::on_each_engine!(
    a_stranger_locks_only_their_own_address_until_the_account_wide_ceiling,
    |t: TestGateway| async move {
        let admin = ada(&t.gateway).await;
        for _ in 0..MAX_FAILURES {
            let guess = t
                .gateway
                .login("ada@example.com", &wrong(), address(66))
                .await;
            assert!(matches!(guess, Err(LoginError::InvalidCredentials)));
        }
        let stranger = t
            .gateway
            .login("ada@example.com", &password(), address(66))
            .await;
        assert!(
            matches!(stranger, Err(LoginError::Throttled { .. })),
            "{stranger:?}"
        );
        let owner = t
            .gateway
            .login("ada@example.com", &password(), address(1))
            .await;
        assert_eq!(owner.unwrap(), admin);

        // Strangers on many addresses, each under its own limits, reach the account's ceiling.
        let mut failed = MAX_FAILURES;
        for n in 100.. {
            if failed == MAX_FAILURES_PER_ACCOUNT {
                break;
            }
            for _ in 0..MAX_FAILURES.min(MAX_FAILURES_PER_ACCOUNT - failed) {
                let guess = t
                    .gateway
                    .login("ada@example.com", &wrong(), address(n))
                    .await;
                assert!(
                    matches!(guess, Err(LoginError::InvalidCredentials)),
                    "{guess:?}"
                );
                failed += 1;
            }
        }
        let owner = t
            .gateway
            .login("ada@example.com", &password(), address(1))
            .await;
        assert!(
            matches!(owner, Err(LoginError::Throttled { .. })),
            "{owner:?}"
        );
        t
    }
);

crate::on_each_engine!(
    a_success_forgets_the_failures_from_its_address,
    |t: TestGateway| async move {
        ada(&t.gateway).await;
        for _ in 0..2 {
            for _ in 0..MAX_FAILURES - 1 {
                let typo = t
                    .gateway
                    .login("ada@example.com", &wrong(), address(1))
                    .await;
                assert!(
                    matches!(typo, Err(LoginError::InvalidCredentials)),
                    "{typo:?}"
                );
            }
            let right = t
                .gateway
                .login("ada@example.com", &password(), address(1))
                .await;
            assert!(right.is_ok(), "{right:?}");
        }
        t
    }
);

crate::on_each_engine!(
    unlocking_an_account_or_an_address_lets_it_sign_in_again,
    |t: TestGateway| async move {
        let admin = ada(&t.gateway).await;
        for _ in 0..MAX_FAILURES {
            let _ = t
                .gateway
                .login("ada@example.com", &wrong(), address(1))
                .await;
        }
        for n in 0..MAX_FAILURES_PER_ADDRESS {
            let _ = t
                .gateway
                .login(&format!("guess{n}@example.com"), &wrong(), address(2))
                .await;
        }
        let store = t.gateway.store();

        assert_eq!(
            accounts::unlock_account(store, " ADA@example.com")
                .await
                .unwrap(),
            2
        );
        let owner = t
            .gateway
            .login("ada@example.com", &password(), address(1))
            .await;
        assert_eq!(owner.unwrap(), admin);
        let locked = t
            .gateway
            .login("ada@example.com", &password(), address(2))
            .await;
        assert!(
            matches!(locked, Err(LoginError::Throttled { .. })),
            "{locked:?}"
        );
        assert!(
            accounts::unlock_address(store, address(2).unwrap())
                .await
                .unwrap()
                > 0
        );
        let unlocked = t
            .gateway
            .login("ada@example.com", &password(), address(2))
            .await;
        assert_eq!(unlocked.unwrap(), admin);
        t
    }
);

crate::on_each_engine!(
    credentials_checked_elsewhere_share_the_throttle,
    |t: TestGateway| async move {
        for _ in 0..MAX_FAILURES {
            let wrong = t
                .gateway
                .check_credentials("reader", false, address(1))
                .await;
            assert!(
                matches!(wrong, Err(LoginError::InvalidCredentials)),
                "{wrong:?}"
            );
        }
        let right = t
            .gateway
            .check_credentials("reader", true, address(1))
            .await;
        assert!(
            matches!(right, Err(LoginError::Throttled { .. })),
            "{right:?}"
        );
        assert!(
            t.gateway
                .check_credentials("reader", true, address(2))
                .await
                .is_ok()
        );
        t
    }
);

fn record(admin_id: i64, expires_in: time::Duration) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([("admin_id".to_owned(), serde_json::json!(admin_id))]),
        expiry_date: time::OffsetDateTime::now_utc() + expires_in,
    }
}

crate::on_each_engine!(
    sessions_are_saved_loaded_and_deleted_and_expired_ones_are_not_loaded,
    |t: TestGateway| async move {
        let admin = ada(&t.gateway).await;
        let sessions = t.gateway.sessions();
        let mut live = record(admin.id, time::Duration::hours(1));
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

        let mut expired = record(admin.id, time::Duration::seconds(-1));
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
    saving_a_deleted_session_does_not_bring_it_back,
    |t: TestGateway| async move {
        let admin = ada(&t.gateway).await;
        let sessions = t.gateway.sessions();
        let mut session = record(admin.id, time::Duration::hours(1));
        sessions.create(&mut session).await.unwrap();

        sessions.delete(&session.id).await.unwrap();
        sessions.save(&session).await.unwrap();

        assert!(sessions.load(&session.id).await.unwrap().is_none());
        t
    }
);

crate::on_each_engine!(
    creating_a_session_never_overwrites_an_existing_one,
    |t: TestGateway| async move {
        let admin = ada(&t.gateway).await;
        let sessions = t.gateway.sessions();
        let mut first = record(admin.id, time::Duration::hours(1));
        sessions.create(&mut first).await.unwrap();
        let mut clash = record(admin.id, time::Duration::hours(1));
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

crate::on_each_engine!(
    deleting_an_admin_deletes_its_sessions_and_its_id_is_never_reused,
    |t: TestGateway| async move {
        let ada = ada(&t.gateway).await;
        let bob = t
            .gateway
            .create_admin("bob@example.com", &password())
            .await
            .unwrap();
        let sessions = t.gateway.sessions();
        let mut bobs = record(bob.id, time::Duration::hours(1));
        sessions.create(&mut bobs).await.unwrap();
        let mut adas = record(ada.id, time::Duration::hours(1));
        sessions.create(&mut adas).await.unwrap();

        assert_eq!(
            t.gateway.delete_admin(" BOB@example.com").await.unwrap(),
            bob
        );

        assert!(sessions.load(&bobs.id).await.unwrap().is_none());
        assert!(sessions.load(&adas.id).await.unwrap().is_some());
        let carol = t
            .gateway
            .create_admin("carol@example.com", &password())
            .await
            .unwrap();
        assert!(carol.id > bob.id, "{carol:?} took the id of {bob:?}");
        assert!(matches!(
            t.gateway.delete_admin("bob@example.com").await,
            Err(Error::NotFound(_))
        ));
        t
    }
);

crate::on_each_engine!(
    odd_bytes_in_an_email_are_a_wrong_sign_in_or_a_field_error,
    |t: TestGateway| async move {
        t.gateway
            .create_admin("ada@example.com", &password())
            .await
            .unwrap();
        let long = format!("{}@example.com", "🦀".repeat(300));
        for email in ["ada\0@example.com", "\0", "🦀@example.com", long.as_str()] {
            assert!(
                matches!(
                    t.gateway.login(email, &password(), None).await,
                    Err(LoginError::InvalidCredentials)
                ),
                "{email:?}"
            );
            match t.gateway.create_admin(email, &password()).await {
                Err(Error::Invalid(errors)) => assert!(errors.contains("email"), "{errors:?}"),
                Ok(admin) if !email.contains('\0') && email.len() <= 254 => {
                    assert_eq!(admin.email, email.to_lowercase());
                }
                other => panic!("{email:?}: expected a field error, got {other:?}"),
            }
        }
        t
    }
);
