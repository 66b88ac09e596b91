//! The `ai-gateway` binary as people run it: `integrations export|apply`, the admin commands
//! (`create-admin`, `delete-admin`, `unlock`), `healthcheck` and the quickstart script.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use gateway::test_support::TestDatabase;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, session_cookie};

fn repository_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Runs `ai-gateway <args>` on `database`, with `stdin` as its standard input.
fn ai_gateway(database: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ai-gateway"))
        .args(args)
        .env_remove("AI_GATEWAY_CONFIG")
        .env("AI_GATEWAY_DATABASE_URL", database.url())
        .env("AI_GATEWAY_LOG", "warn")
        .env("OPENROUTER_API_KEY", "test-key")
        .env("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Applies `document`, which must be refused as a whole: the command fails, says nothing was
/// written, prints nothing on standard output and leaves the registry empty. Its standard error.
fn refused_apply(database: &TestDatabase, document: &serde_json::Value) -> String {
    let output = ai_gateway(
        database,
        &["integrations", "apply", "-"],
        &document.to_string(),
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
    assert_eq!(exported(database), serde_json::json!({"integrations": []}));
    stderr
}

fn exported(database: &TestDatabase) -> serde_json::Value {
    let output = ai_gateway(database, &["integrations", "export"], "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn applying_the_example_creates_it_and_applying_its_export_changes_nothing() {
    let database = TestDatabase::sqlite();
    let example = repository_file("examples/integrations.json");

    let first = ai_gateway(
        &database,
        &["integrations", "apply", example.to_str().unwrap()],
        "",
    );
    let document = exported(&database);
    let again = ai_gateway(
        &database,
        &["integrations", "apply", "-"],
        &document.to_string(),
    );

    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout).trim(),
        "support-answer: created (version 1)"
    );
    assert_eq!(document["integrations"][0]["slug"], "support-answer");
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout).trim(), "support-answer: unchanged");
    database.destroy().await;
}

#[tokio::test]
async fn a_document_with_an_invalid_entry_is_refused_with_every_error_and_writes_nothing() {
    let database = TestDatabase::sqlite();
    let mut document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repository_file("examples/integrations.json")).unwrap(),
    )
    .unwrap();
    let mut broken = document["integrations"][0].clone();
    broken["slug"] = "Not A Slug".into();
    broken["version"]["models"] = serde_json::json!([]);
    document["integrations"]
        .as_array_mut()
        .unwrap()
        .push(broken);

    let stderr = refused_apply(&database, &document);
    assert!(stderr.contains("integrations[1].slug: "), "{stderr}");
    assert!(
        stderr.contains("integrations[1].version.models: "),
        "{stderr}"
    );
    database.destroy().await;
}

/// Unreadable values (an unknown variable type, twice), rule breaks in the readable rest (default
/// parameters out of their definitions) and another entry's problems: all reported in one pass.
#[tokio::test]
async fn apply_reports_every_problem_of_every_entry_at_once() {
    let database = TestDatabase::sqlite();
    let mut document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repository_file("examples/integrations.json")).unwrap(),
    )
    .unwrap();
    let first = &mut document["integrations"][0];
    first["version"]["variables"] = serde_json::json!([
        {"name": "when", "type": "date", "required": false, "default": null, "description": null},
        {"name": "where", "type": "place", "required": false, "default": null, "description": null}
    ]);
    first["version"]["default_params"] =
        serde_json::json!({"temperature": "abc", "max_tokens": -5, "top_p": 0.5});
    let mut second = document["integrations"][0].clone();
    second["slug"] = "Not A Slug".into();
    second["version"]["models"] = serde_json::json!([]);
    second["version"]["variables"] = serde_json::json!([]);
    second["version"]["default_params"] = serde_json::json!({"stop": [1]});
    document["integrations"]
        .as_array_mut()
        .unwrap()
        .push(second);

    let stderr = refused_apply(&database, &document);
    for field in [
        "integrations[0].version.variables[0].type: unknown variant `date`",
        "integrations[0].version.variables[1].type: unknown variant `place`",
        "integrations[0].version.default_params.temperature: Must be a number.",
        "integrations[0].version.default_params.max_tokens: Must be at least 1.",
        "integrations[1].slug: ",
        "integrations[1].version.models: ",
        "integrations[1].version.default_params.stop: ",
    ] {
        assert!(stderr.contains(field), "{field} missing from:\n{stderr}");
    }
    assert!(!stderr.contains("top_p"), "{stderr}");
    database.destroy().await;
}

#[tokio::test]
async fn exporting_an_unknown_slug_fails_naming_it() {
    let database = TestDatabase::sqlite();

    let output = ai_gateway(&database, &["integrations", "export", "nobody"], "");

    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("\"nobody\""));
    database.destroy().await;
}

#[test]
fn the_readme_lists_every_subcommand_of_the_help() {
    let help = Command::new(env!("CARGO_BIN_EXE_ai-gateway"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&help.stdout);
    let readme = std::fs::read_to_string(repository_file("README.md")).unwrap();
    let listed = readme
        .split("Subcommands (`ai-gateway --help`)")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(commands.len() > 5, "{help}");
    for name in commands {
        assert!(
            listed.contains(&format!("`{name}")),
            "README lacks `{name}`"
        );
    }
}

#[test]
fn the_quickstart_script_gets_an_answer_with_only_the_binary() {
    let output = Command::new("bash")
        .arg(repository_file("scripts/quickstart.sh"))
        .arg(env!("CARGO_BIN_EXE_ai-gateway"))
        .env_remove("AI_GATEWAY_BIN")
        .output()
        .unwrap();

    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("Simulated answer from openai/gpt-4o-mini"),
        "{stdout}"
    );
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_refuses_a_taken_email() {
    let database = TestDatabase::sqlite();
    let args = [
        "create-admin",
        "--email",
        "Ops@Example.com",
        "--password-stdin",
    ];

    let created = ai_gateway(&database, &args, "a long enough password\n");
    let again = ai_gateway(&database, &args, "a long enough password\n");
    let short = ai_gateway(
        &database,
        &[
            "create-admin",
            "--email",
            "x@example.com",
            "--password-stdin",
        ],
        "too short\n",
    );
    let no_flag = ai_gateway(&database, &["create-admin", "--email", "y@example.com"], "");

    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("Created admin ops@example.com"));
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert!(text(&short.stderr).contains("at least 12 characters"));
    assert!(text(&no_flag.stderr).contains("--password-stdin"));
    let store = gateway::Store::connect(database.url()).await.unwrap();
    let admins = gateway::accounts::count(&store).await.unwrap();
    store.close().await;
    assert_eq!(admins, 1);
    database.destroy().await;
}

crate::on_each_engine!(
    a_deleted_admins_cookie_does_not_sign_in_the_next_admin_created,
    |app: TestApp| async move {
        let password = "a long enough password";
        let create = |email: &str| {
            let args = ["create-admin", "--email", email, "--password-stdin"];
            ai_gateway(&app.database, &args, &format!("{password}\n"))
        };
        assert!(create("bob@example.com").status.success());
        let bob = session_cookie(&app.login_as("bob@example.com", password).await).unwrap();

        let deleted = ai_gateway(
            &app.database,
            &["delete-admin", "--email", "Bob@Example.com"],
            "",
        );
        let carol = create("carol@example.com");

        assert!(deleted.status.success(), "{}", text(&deleted.stderr));
        assert!(text(&deleted.stdout).contains("Deleted admin bob@example.com"));
        assert!(carol.status.success(), "{}", text(&carol.stderr));
        let me = app
            .server_fn(app::auth::CurrentAdmin::PATH, Some(&bob), &[])
            .await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let again = ai_gateway(
            &app.database,
            &["delete-admin", "--email", "bob@example.com"],
            "",
        );
        assert!(!again.status.success());
        assert!(
            text(&again.stderr).contains("not found"),
            "{}",
            text(&again.stderr)
        );
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    unlock_lets_a_locked_out_admin_sign_in_again,
    |app: TestApp| async move {
        for _ in 0..gateway::accounts::MAX_FAILURES {
            let guess = app.login_as(ADMIN_EMAIL, "not the password at all").await;
            assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
        }
        let locked = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);

        let nothing = ai_gateway(&app.database, &["unlock"], "");
        let unlocked = ai_gateway(&app.database, &["unlock", "--email", ADMIN_EMAIL], "");

        assert!(!nothing.status.success());
        assert!(unlocked.status.success(), "{}", text(&unlocked.stderr));
        assert_eq!(
            text(&unlocked.stdout).trim(),
            format!("Cleared 2 sign-in count(s) of {ADMIN_EMAIL}.")
        );
        let signed_in = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(signed_in.status(), StatusCode::OK);
        app.shutdown().await;
    }
);

#[tokio::test]
async fn importing_invocations_stores_each_row_once_and_refuses_a_bad_document_whole() {
    let database = TestDatabase::sqlite();
    let row = |id: &str, slug: &str| {
        serde_json::json!({
            "id": id, "integration_slug": slug, "caller_type": "api", "status": "ok",
            "latency_ms": 12, "cost_nanos": 5, "created_at_ms": 1_772_409_600_000_i64,
        })
    };
    let document = serde_json::json!({ "invocations": [
        row("01900000-0000-7000-8000-000000000001", "a"),
        row("01900000-0000-7000-8000-000000000002", "b"),
    ]})
    .to_string();
    for expected in [
        "Imported 2 invocation row(s); skipped 0 already stored.",
        "Imported 0 invocation row(s); skipped 2 already stored.",
    ] {
        let output = ai_gateway(&database, &["invocations", "import", "-"], &document);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(
            text(&output.stdout).contains(expected),
            "{}",
            text(&output.stdout)
        );
    }
    let bad = serde_json::json!({ "invocations": [
        row("01900000-0000-7000-8000-000000000003", "c"),
        row("01900000-0000-7000-8000-000000000004", " "),
    ]})
    .to_string();
    let refused = ai_gateway(&database, &["invocations", "import", "-"], &bad);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("invocations[1].integration_slug"),
        "{}",
        text(&refused.stderr)
    );

    let store = gateway::Store::connect(database.url()).await.unwrap();
    let csv = gateway::invocations::export(&store, &Default::default(), Default::default())
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    store.close().await;
    database.destroy().await;
}

#[tokio::test]
async fn healthcheck_succeeds_against_a_serving_deployment_and_fails_without_one() {
    let app = crate::helpers::spawn_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    // Asynchronously: the server under test runs on this test's runtime.
    let check = |listen: String| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ai-gateway"))
            .arg("healthcheck")
            .env_remove("AI_GATEWAY_CONFIG")
            .env("AI_GATEWAY_LISTEN", listen)
            .env("AI_GATEWAY_LOG", "warn")
            .output()
    };
    let serving = check(format!("0.0.0.0:{port}")).await.unwrap();
    assert!(serving.status.success(), "{}", text(&serving.stderr));
    app.shutdown().await;
    let stopped = check(format!("127.0.0.1:{port}")).await.unwrap();
    assert!(!stopped.status.success());
    assert!(
        text(&stopped.stderr).contains("/healthz"),
        "{}",
        text(&stopped.stderr)
    );
}
