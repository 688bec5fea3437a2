import IR

/// Turns one family of architectures into a graph. One file per family; each reads like the model's forward pass.
public protocol Recipe: SendableMetatype {
    /// Family name as in ARCHITECTURES.md (e.g. "A: Llama-like").
    static var family: String { get }
    /// The `architectures` names this recipe builds.
    static var architectures: [String] { get }
    /// Builds the graph, checking every weight's presence and shape in the checkpoint.
    static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph
}

/// Maps config.json's `architectures` to recipes.
public enum RecipeRegistry {
    public static let recipes: [Recipe.Type] = [LlamaRecipe.self, GemmaRecipe.self, PostNormRecipe.self,
                                                LayerNormRopeRecipe.self, ParallelBlockRecipe.self, LearnedPositionRecipe.self, AlibiRecipe.self,
                                                EncoderRecipe.self, MambaRecipe.self, MoERecipe.self, JambaRecipe.self, Lfm2Recipe.self,
                                                HybridRecipe.self, NemotronHRecipe.self, Zamba2Recipe.self, Qwen3NextRecipe.self, MLARecipe.self,
                                                MiniMaxRecipe.self]

    /// Every supported architecture name, sorted.
    public static var supported: [String] { recipes.flatMap { $0.architectures }.sorted() }

    /// The recipe for a model, or an error listing the supported architectures.
    public static func recipe(for model: ModelDirectory) throws -> Recipe.Type {
        guard let recipe = recipes.first(where: { $0.architectures.contains(model.architecture) }) else {
            throw FrontendError.unknownArchitecture(model.architecture, supported: supported)
        }
        return recipe
    }
}

/// Hands out weight references after checking the checkpoint holds each tensor with the expected shape.
struct WeightBinder {
    let checkpoint: Checkpoint

    func callAsFunction(_ name: String, _ shape: [Int]) throws -> WeightRef {
        let found = try checkpoint.shape(of: name)
        guard found == shape else {
            throw FrontendError.tensorShape(name: name, file: checkpoint.directory.path, expected: shape, found: found)
        }
        return WeightRef(name, shape: shape)
    }

    /// A weight that exists only when `present` is true (biases, optional norms).
    func optional(_ present: Bool, _ name: String, _ shape: [Int]) throws -> WeightRef? {
        present ? try self(name, shape) : nil
    }
}

/// A recipe whose architectures each have their own build function, listed in `builders` (which gives
/// `architectures` in the same order).
public protocol DispatchingRecipe: Recipe {
    typealias Builder = @Sendable (ModelDirectory, Checkpoint) throws -> Graph
    static var builders: [(architecture: String, build: Builder)] { get }
}

extension DispatchingRecipe {
    public static var architectures: [String] { builders.map(\.architecture) }

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        guard let builder = builders.first(where: { $0.architecture == model.architecture }) else {
            throw FrontendError.unknownArchitecture(model.architecture, supported: architectures)
        }
        return try builder.build(model, checkpoint)
    }
}
