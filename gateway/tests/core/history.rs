//! Version history and the difference between two versions, as the console reads them.

use gateway::Error;
use gateway::types::{LineChange, VersionDraft};

use crate::helpers::{TestGateway, draft};

crate::on_each_engine!(
    the_history_lists_every_version_newest_first_with_its_settings,
    |t: TestGateway| async move {
        let id = t.integration("chronicle", |_, _| {}).await;
        let changed = VersionDraft {
            notes: Some("second".to_owned()),
            ..draft()
        };
        t.gateway
            .save_version(id, &changed, Some("bob"))
            .await
            .unwrap();
        let history = t.gateway.version_history(id).await.unwrap();
        assert_eq!(history.integration.fields.slug, "chronicle");
        let rows: Vec<_> = history
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.number,
                    v.version.active,
                    v.version.created_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(rows, [(2, true, Some("bob")), (1, false, Some("tests"))]);
        let notes = history.versions[0]
            .settings
            .iter()
            .find(|s| s.field == "Notes")
            .unwrap();
        assert_eq!(notes.value, "second");
        t
    }
);

crate::on_each_engine!(
    comparing_two_versions_shows_the_prompt_lines_and_settings_that_changed,
    |t: TestGateway| async move {
        let id = t.integration("compared", |_, _| {}).await;
        let v1 = t.gateway.version_history(id).await.unwrap().versions[0]
            .version
            .id;
        let changed = VersionDraft {
            prompt_template: "You are a helpful assistant.\nAnswer: {{ question }}".to_owned(),
            models: vec!["anthropic/claude-haiku-4.5".to_owned()],
            ..draft()
        };
        let v2 = t
            .gateway
            .save_version(id, &changed, None)
            .await
            .unwrap()
            .version
            .id;
        let diff = t.gateway.compare_versions(id, v1, v2).await.unwrap();
        assert_eq!((diff.from, diff.to), (1, 2));
        let lines: Vec<_> = diff.prompt[0]
            .lines
            .iter()
            .map(|l| (l.change, l.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    LineChange::Removed,
                    "You are a helpful assistant. {{ question }}"
                ),
                (LineChange::Added, "You are a helpful assistant."),
                (LineChange::Added, "Answer: {{ question }}"),
            ]
        );
        let settings: Vec<_> = diff.settings.iter().map(|s| s.field.as_str()).collect();
        assert_eq!(settings, ["Models"]);
        assert!(
            t.gateway
                .compare_versions(id, v2, v2)
                .await
                .unwrap()
                .is_empty()
        );
        t
    }
);

crate::on_each_engine!(
    another_integrations_version_cannot_be_compared_or_activated,
    |t: TestGateway| async move {
        let mine = t.integration("mine", |_, _| {}).await;
        let theirs = t.integration("theirs", |_, _| {}).await;
        let my_version = t.gateway.version_history(mine).await.unwrap().versions[0]
            .version
            .id;
        let their_version = t.gateway.version_history(theirs).await.unwrap().versions[0]
            .version
            .id;
        let compared = t
            .gateway
            .compare_versions(mine, my_version, their_version)
            .await;
        assert!(
            matches!(compared, Err(Error::NotFound("version"))),
            "{compared:?}"
        );
        let activated = t.gateway.activate_version(mine, their_version).await;
        assert!(
            matches!(activated, Err(Error::NotFound("version"))),
            "{activated:?}"
        );
        let loaded = t.gateway.editor_data(Some(mine), Some(their_version)).await;
        assert!(
            matches!(loaded, Err(Error::NotFound("version"))),
            "{loaded:?}"
        );
        t
    }
);

crate::on_each_engine!(
    an_older_version_loads_into_the_form_without_changing_anything,
    |t: TestGateway| async move {
        let id = t.integration("reloaded", |_, _| {}).await;
        let first = t.gateway.version_history(id).await.unwrap().versions[0].clone();
        let changed = VersionDraft {
            prompt_template: "Second: {{ question }}".to_owned(),
            ..draft()
        };
        t.gateway.save_version(id, &changed, None).await.unwrap();

        let current = t.gateway.editor_data(Some(id), None).await.unwrap();
        assert_eq!(current.draft.prompt_template, "Second: {{ question }}");
        assert_eq!(
            (current.active_version, current.loaded_version),
            (Some(2), None)
        );

        let loaded = t
            .gateway
            .editor_data(Some(id), Some(first.version.id))
            .await
            .unwrap();
        assert_eq!(loaded.draft, first.version.draft);
        assert_eq!(
            (loaded.active_version, loaded.loaded_version),
            (Some(2), Some(1))
        );
        let live = t
            .gateway
            .snapshot()
            .integration("reloaded")
            .unwrap()
            .clone();
        assert_eq!(live.version.number, 2, "loading changes nothing");
        t
    }
);
