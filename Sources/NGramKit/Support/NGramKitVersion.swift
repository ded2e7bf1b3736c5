/// The release of NGramKit (`ngramkit --version`).
public enum NGramKitVersion {
    public static let string = "0.9.0"
}
