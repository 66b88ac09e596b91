//! Minting, listing, revoking and expiring tokens, checked through a freshly loaded `TokenSet`.

use gateway::tokens::{self, INVOKE_ABILITY, TokenError};
use gateway::{Error, Store};
use sha2::{Digest, Sha256};

use crate::helpers::stored_hash;

const NOW: i64 = 1_800_000_000_000;
const DAY_MS: i64 = 86_400_000;

fn invoke() -> Vec<String> {
    vec![INVOKE_ABILITY.to_owned()]
}

crate::on_each_engine!(
    a_created_token_verifies_through_a_freshly_loaded_set,
    |store: Store, _url: String| async move {
        let (token, plaintext) = tokens::create(
            &store,
            "n8n production",
            &invoke(),
            None,
            Some("admin"),
            NOW,
        )
        .await
        .unwrap();
        assert!(plaintext.starts_with(&format!("{}|", token.id)));
        assert_eq!(token.created_by.as_deref(), Some("admin"));

        let set = tokens::load(&store).await.unwrap();
        let verified = set.verify(&plaintext, NOW + 1).unwrap();
        assert_eq!(verified.id, token.id);
        assert_eq!(verified.name, "n8n production");
        assert!(verified.can(INVOKE_ABILITY));
        assert_eq!(verified.caller_id(), format!("token:{}", token.id));
        assert_eq!(
            set.verify(&format!("{}|wrong", token.id), NOW + 1),
            Err(TokenError::Invalid)
        );
    }
);

crate::on_each_engine!(
    only_the_hash_of_the_secret_is_stored,
    |store: Store, url: String| async move {
        let (token, plaintext) = tokens::create(&store, "ci", &invoke(), None, None, NOW)
            .await
            .unwrap();
        let (_, secret) = plaintext.split_once('|').unwrap();
        assert_eq!(secret.len(), 40);

        let stored = stored_hash(&url, token.id).await;
        assert_ne!(stored, secret);
        assert_eq!(stored, hex::encode(Sha256::digest(secret.as_bytes())));
    }
);

crate::on_each_engine!(
    tokens_are_listed_newest_first_with_revoked_ones_marked,
    |store: Store, _url: String| async move {
        let (first, _) = tokens::create(&store, "first", &invoke(), None, None, NOW)
            .await
            .unwrap();
        let (second, _) = tokens::create(&store, "second", &invoke(), None, None, NOW + 1)
            .await
            .unwrap();
        tokens::revoke(&store, first.id, NOW + 2).await.unwrap();

        let listed = tokens::list(&store).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["second", "first"]);
        assert_eq!(listed[0], second);
        assert_eq!(listed[1].revoked_at_ms, Some(NOW + 2));
    }
);

crate::on_each_engine!(
    a_revoked_token_is_invalid_once_the_set_is_reloaded,
    |store: Store, _url: String| async move {
        let (token, plaintext) = tokens::create(&store, "ci", &invoke(), None, None, NOW)
            .await
            .unwrap();
        tokens::revoke(&store, token.id, NOW + 1).await.unwrap();

        let set = tokens::load(&store).await.unwrap();
        assert_eq!(set.verify(&plaintext, NOW + 2), Err(TokenError::Invalid));
    }
);

crate::on_each_engine!(
    revoking_an_unknown_or_revoked_token_is_not_found,
    |store: Store, _url: String| async move {
        let (token, _) = tokens::create(&store, "ci", &invoke(), None, None, NOW)
            .await
            .unwrap();
        tokens::revoke(&store, token.id, NOW + 1).await.unwrap();

        for id in [token.id, token.id + 100] {
            assert!(matches!(
                tokens::revoke(&store, id, NOW + 2).await,
                Err(Error::NotFound(_))
            ));
        }
    }
);

crate::on_each_engine!(
    an_expiry_in_the_past_is_refused_at_creation,
    |store: Store, _url: String| async move {
        let refused = tokens::create(&store, "ci", &invoke(), Some(NOW - 1), None, NOW).await;
        match refused {
            Err(Error::Invalid(errors)) => assert!(errors.contains("expires_at"), "{errors}"),
            other => panic!("expected a field error, got {other:?}"),
        }
        assert!(tokens::list(&store).await.unwrap().is_empty());
    }
);

crate::on_each_engine!(
    blank_names_and_abilities_are_refused_per_field,
    |store: Store, _url: String| async move {
        match tokens::create(&store, "  ", &[], None, None, NOW).await {
            Err(Error::Invalid(errors)) => {
                assert!(errors.contains("name"), "{errors}");
                assert!(errors.contains("abilities"), "{errors}");
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }
);

crate::on_each_engine!(
    a_token_whose_expiry_has_passed_is_expired,
    |store: Store, _url: String| async move {
        let expires = NOW + 7 * DAY_MS;
        let (token, plaintext) =
            tokens::create(&store, "weekly", &invoke(), Some(expires), None, NOW)
                .await
                .unwrap();
        assert!(!token.is_expired(expires - 1));

        let set = tokens::load(&store).await.unwrap();
        assert!(set.verify(&plaintext, expires - 1).is_ok());
        assert_eq!(set.verify(&plaintext, expires), Err(TokenError::Expired));
    }
);
