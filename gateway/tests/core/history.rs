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
        t
    }
);
