//! Integrations and versions: creation, uniqueness, immutable history, roll back.

use gateway::Error;
use gateway::types::{IntegrationQuery, VersionDraft, Visibility};

use crate::helpers::{TestGateway, draft, fields};

crate::on_each_engine!(
    creating_an_integration_makes_version_one_active,
    |t: TestGateway| async move {
        let (integration, version) = t
            .gateway
            .create_integration(&fields("summaries"), &draft(), Some("ada"))
            .await
            .unwrap();
        assert_eq!(version.number, 1);
        assert!(version.active);
        assert_eq!(integration.created_by.as_deref(), Some("ada"));
        let versions = gateway::versions::list(t.gateway.store(), integration.id)
            .await
            .unwrap();
        assert_eq!(versions.len(), 1);
        t
    }
);

crate::on_each_engine!(
    a_taken_slug_is_a_conflict_on_the_slug_field,
    |t: TestGateway| async move {
        t.integration("dup", |_, _| {}).await;
        let err = t
            .gateway
            .create_integration(&fields("dup"), &draft(), None)
            .await
            .unwrap_err();
        match err {
            Error::Conflict(errors) => assert!(errors.contains("slug"), "{errors:?}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        t
    }
);

crate::on_each_engine!(
    a_deleted_slug_can_be_used_again,
    |t: TestGateway| async move {
        let id = t.integration("reused", |_, _| {}).await;
        assert_eq!(t.gateway.delete_integrations(&[id]).await.unwrap(), 1);
        let again = t.integration("reused", |_, _| {}).await;
        assert_ne!(again, id);
        t
    }
);

crate::on_each_engine!(
    invalid_fields_and_broken_templates_are_rejected_at_save_time,
    |t: TestGateway| async move {
        let mut bad = fields("Not A Slug");
        bad.name = String::new();
        let mut broken = draft();
        broken.prompt_template = "Hello {{ nobody }} {% if %}".to_owned();
        broken.models.clear();
        let Error::Invalid(errors) = t
            .gateway
            .create_integration(&bad, &broken, None)
            .await
            .unwrap_err()
        else {
            panic!("expected field errors");
        };
        for field in ["slug", "name", "models", "prompt_template"] {
            assert!(errors.contains(field), "{field} missing from {errors:?}");
        }
        assert!(
            gateway::integrations::list(t.gateway.store())
                .await
                .unwrap()
                .is_empty()
        );
        t
    }
);

crate::on_each_engine!(
    saving_an_unchanged_draft_mints_nothing,
    |t: TestGateway| async move {
        let id = t.integration("stable", |_, _| {}).await;
        let saved = t.gateway.save_version(id, &draft(), None).await.unwrap();
        assert!(!saved.minted);
        assert_eq!(saved.version.number, 1);
        assert_eq!(
            gateway::versions::list(t.gateway.store(), id)
                .await
                .unwrap()
                .len(),
            1
        );
        t
    }
);

crate::on_each_engine!(
    saving_a_change_mints_and_activates_the_next_version,
    |t: TestGateway| async move {
        let id = t.integration("evolving", |_, _| {}).await;
        let changed = VersionDraft {
            prompt_template: "Be brief. {{ question }}".to_owned(),
            ..draft()
        };
        let saved = t
            .gateway
            .save_version(id, &changed, Some("bob"))
            .await
            .unwrap();
        assert!(saved.minted);
        assert_eq!(saved.version.number, 2);
        let versions = gateway::versions::list(t.gateway.store(), id)
            .await
            .unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.number, v.active))
                .collect::<Vec<_>>(),
            vec![(2, true), (1, false)]
        );
        let live = t.gateway.snapshot();
        assert_eq!(live.integration("evolving").unwrap().version.number, 2);
        t
    }
);

crate::on_each_engine!(
    rolling_back_activates_an_old_version_and_keeps_history,
    |t: TestGateway| async move {
        let id = t.integration("rollback", |_, _| {}).await;
        let v1 = gateway::versions::list(t.gateway.store(), id)
            .await
            .unwrap()
            .remove(0);
        let changed = VersionDraft {
            notes: Some("v2".to_owned()),
            ..draft()
        };
        t.gateway.save_version(id, &changed, None).await.unwrap();
        let active = t.gateway.activate_version(id, v1.id).await.unwrap();
        assert_eq!(active.number, 1);
        let versions = gateway::versions::list(t.gateway.store(), id)
            .await
            .unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.number, v.active))
                .collect::<Vec<_>>(),
            vec![(2, false), (1, true)]
        );
        assert_eq!(
            t.gateway
                .snapshot()
                .integration("rollback")
                .unwrap()
                .version
                .number,
            1
        );
        t
    }
);

crate::on_each_engine!(
    concurrent_saves_never_collide_or_lose_a_version,
    |t: TestGateway| async move {
        let id = t.integration("busy", |_, _| {}).await;
        let saves = (0..12).map(|i| {
            let gateway = t.gateway.clone();
            tokio::spawn(async move {
                let draft = VersionDraft {
                    notes: Some(format!("edit {i}")),
                    ..draft()
                };
                gateway.save_version(id, &draft, None).await.unwrap()
            })
        });
        let results = futures::future::join_all(saves).await;
        assert!(results.iter().all(|r| r.as_ref().unwrap().minted));
        let versions = gateway::versions::list(t.gateway.store(), id)
            .await
            .unwrap();
        let mut numbers: Vec<i32> = versions.iter().map(|v| v.number).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=13).collect::<Vec<_>>());
        assert_eq!(versions.iter().filter(|v| v.active).count(), 1);
        t
    }
);

crate::on_each_engine!(
    the_console_list_searches_filters_and_pages_what_was_just_written,
    |t: TestGateway| async move {
        for n in 1..=12 {
            t.integration(&format!("list-{n:02}"), |f, d| {
                f.name = format!("Listed {n}");
                f.active = n % 4 != 3;
                f.visibility = if n % 2 == 0 {
                    Visibility::Public
                } else {
                    Visibility::Internal
                };
                if n == 2 {
                    d.models.push("anthropic/claude-haiku-4.5".to_owned());
                }
            })
            .await;
        }
        let all = t.gateway.snapshot().search(&IntegrationQuery::default());
        assert_eq!((all.total, all.page, all.page_count()), (12, 1, 2));
        assert_eq!(all.items.len(), 10);
        let second = &all.items[1];
        assert_eq!(second.slug, "list-02");
        assert_eq!(second.fallback_count, 1);
        assert_eq!(second.version, 1);

        let last_page = t.gateway.snapshot().search(&IntegrationQuery {
            page: 2,
            ..IntegrationQuery::default()
        });
        let slugs: Vec<_> = last_page.items.iter().map(|r| r.slug.as_str()).collect();
        assert_eq!(slugs, ["list-11", "list-12"]);

        let narrowed = t.gateway.snapshot().search(&IntegrationQuery {
            search: "LISTED 1".to_owned(),
            active: Some(true),
            visibility: Some(Visibility::Public),
            page: 0,
        });
        let slugs: Vec<_> = narrowed.items.iter().map(|r| r.slug.as_str()).collect();
        assert_eq!(slugs, ["list-10", "list-12"]);

        // A switch flipped a moment ago is already in the list.
        let id = narrowed.items[0].id;
        t.gateway
            .set_integration_active(id, false, None)
            .await
            .unwrap();
        let after = t.gateway.snapshot().search(&IntegrationQuery {
            active: Some(false),
            ..IntegrationQuery::default()
        });
        assert!(after.items.iter().any(|r| r.id == id && !r.active));
        t
    }
);

crate::on_each_engine!(
    nul_characters_in_an_admins_text_are_field_errors_not_database_failures,
    |t: TestGateway| async move {
        let mut named = fields("nul-name");
        named.name = "Odd\u{0}name".to_owned();
        let mut templated = draft();
        templated.prompt_template = "Answer {{ question }}\u{0}".to_owned();
        let Err(Error::Invalid(errors)) =
            t.gateway.create_integration(&named, &templated, None).await
        else {
            panic!("expected field errors");
        };
        assert!(errors.contains("name"), "{errors:?}");
        assert!(errors.contains("prompt_template"), "{errors:?}");
        t
    }
);
