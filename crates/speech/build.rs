//! Link flite and its US English voices (Debian: flite1-dev at build time, libflite1 at run time),
//! and pocketsphinx with sphinxbase (Debian: libpocketsphinx-dev and libsphinxbase-dev at build
//! time, libpocketsphinx3 at run time). whisper.cpp is built by `whisper-rs-sys`.

fn main() {
    let voices = [
        "flite_cmu_us_slt",
        "flite_cmu_us_rms",
        "flite_cmu_us_awb",
        "flite_cmu_us_kal16",
    ];
    for lib in voices
        .into_iter()
        .chain(["flite_usenglish", "flite_cmulex", "flite"])
    {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:rustc-link-lib=dylib=m");
    // pkg-config's pocketsphinx.pc pulls in sphinxbase; a missing package is a clear build error.
    if let Err(e) = pkg_config::probe_library("pocketsphinx") {
        panic!("pocketsphinx not found ({e}): install libpocketsphinx-dev and libsphinxbase-dev");
    }
}
