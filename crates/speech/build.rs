//! Link flite and its US English voice (Debian: flite1-dev at build time, libflite1 at run time).

fn main() {
    for lib in ["flite_cmu_us_slt", "flite_usenglish", "flite_cmulex", "flite"] {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:rustc-link-lib=dylib=m");
}
