//! Draft with AI through the helper model: a usable draft, and a clear error when it is not.

use gateway::Error;

use crate::helpers::TestGateway;

crate::on_each_engine!(
    the_helper_model_drafts_a_template_with_its_variables,
    |t: TestGateway| async move {
        let draft =
            gateway::builder::draft(&t.gateway, "Summarise support tickets", None, Some("ada"))
                .await
                .unwrap();
        assert!(
            draft.prompt_template.contains("{{ input }}"),
            "{}",
            draft.prompt_template
        );
        assert_eq!(draft.variables.len(), 1);
        assert_eq!(draft.variables[0].name, "input");
        assert!(draft.notes.is_some());
        // The helper's spend is recorded like any call.
        assert_eq!(
            t.rows("caller_type = 'prompt-builder' and status = 'ok' and cost_nanos > 0")
                .await,
            1
        );
        t
    }
);

crate::on_each_engine!(
    a_failing_helper_model_is_a_readable_error_and_an_error_row,
    |t: TestGateway| async move {
        let mut settings = t.gateway.snapshot().settings.clone();
        // A model id the simulator refuses stands in for a helper that fails.
        settings.prompt_builder_model = "simulator/error-502".to_owned();
        t.gateway.save_settings(&settings).await.unwrap();
        assert!(matches!(
            gateway::builder::draft(&t.gateway, "Anything", None, None).await,
            Err(Error::Upstream(_))
        ));
        assert_eq!(
            t.rows("caller_type = 'prompt-builder' and status = 'error'")
                .await,
            1
        );
        t
    }
);

crate::on_each_engine!(
    drafting_is_refused_when_switched_off_or_without_a_brief,
    |t: TestGateway| async move {
        assert!(matches!(
            gateway::builder::draft(&t.gateway, "   ", None, None).await,
            Err(Error::Invalid(_))
        ));
        let mut settings = t.gateway.snapshot().settings.clone();
        settings.prompt_builder_enabled = false;
        t.gateway.save_settings(&settings).await.unwrap();
        let Err(Error::Invalid(errors)) =
            gateway::builder::draft(&t.gateway, "Summarise", None, None).await
        else {
            panic!("expected a refusal");
        };
        assert!(errors.summary().contains("switched off"));
        t
    }
);

crate::on_each_engine!(
    improving_an_existing_prompt_keeps_its_variables,
    |t: TestGateway| async move {
        let draft = gateway::builder::draft(
            &t.gateway,
            "Make it friendlier",
            Some("Answer {{ customer }} about {{ topic }}"),
            None,
        )
        .await
        .unwrap();
        let names: Vec<&str> = draft.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["customer", "topic", "input"]);
        t
    }
);

crate::on_each_engine!(
    the_console_gets_sentences_for_every_refusal_and_failure,
    |t: TestGateway| async move {
        use gateway::types::DraftResult;
        let DraftResult::Failed(message) =
            gateway::builder::draft_for_console(&t.gateway, " ", None, "ada")
                .await
                .unwrap()
        else {
            panic!("a blank description was drafted");
        };
        assert_eq!(message, "Describe the use case first.");

        let mut settings = t.gateway.snapshot().settings.clone();
        settings.prompt_builder_model = "simulator/error-503".to_owned();
        t.gateway.save_settings(&settings).await.unwrap();
        let DraftResult::Failed(message) =
            gateway::builder::draft_for_console(&t.gateway, "Summarise tickets", None, "ada")
                .await
                .unwrap()
        else {
            panic!("a failing helper model drafted");
        };
        assert!(
            message.starts_with("The helper model simulator/error-503 failed: ")
                && message.contains("503"),
            "{message}"
        );
        t
    }
);
