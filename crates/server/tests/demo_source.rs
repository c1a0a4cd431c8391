//! The demo source: a folder whose demo generation completed (marker file present) is served as it is, without
//! writing the demo again — restarting `lumen serve` is instant and keeps STOW-RS uploads made into the demo.

mod common;

#[test]
fn completed_demo_folder_is_served_without_regenerating() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = common::instance(
        "1.2.826.0.7",
        "1.2.826.0.7.1",
        "1.2.826.0.7.1.1",
        "Kept^Upload",
        "20200101",
        1,
    );
    std::fs::write(dir.path().join("upload.dcm"), bytes).unwrap();
    std::fs::write(dir.path().join(".lumen-demo-complete"), "done\n").unwrap();
    let config = lumen_server::Config {
        source: lumen_server::Source::Demo(dir.path().to_path_buf()),
        ..lumen_server::Config::default()
    };
    let state = lumen_server::AppState::open(&config).unwrap();
    let store = state
        .store()
        .expect("the demo is served from a folder store");
    // Only the file that was there: generating the demo would have added its four studies.
    assert_eq!(store.study_count(), 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}
