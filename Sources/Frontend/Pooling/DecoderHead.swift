import IR

/// What a decoder checkpoint is compiled into, after vLLM's conventions keyed by architecture name: `*Model` embeds
/// (last-token pooling, L2-normalised; bidirectional embedders mean-pool), `*ForSequenceClassification` scores or
/// classifies with its bias-free `score` head on the last token (bidirectional rerankers: on the mean), reward models
/// put a value head on every token (the reward is the last token's value; process rewards are read at step tags by
/// the runtime), and a generative checkpoint compiled with `--pooling` embeds (GritLM bidirectionally) or, with `step`,
/// reads its LM logits at step tags (math-shepherd-style process rewards). Decoder recipes build their body once with
/// the attention `causal` says and end with `finish`, which adds the LM head or the pooling outputs.
struct DecoderHead: Equatable {
    enum Kind: Equatable {
        /// The LM head on the last token: a generative model.
        case generate
        /// The pooled final hidden state.
        case embed
        /// `module` (no bias) on the pooled final hidden state; logits divided by config.json's `temperature` when
        /// `temperature` is set.
        case classifier(module: String, temperature: Bool)
        /// A value head on every token (token outputs), pooled into the sequence's reward.
        case reward(ValueHead)
        /// The LM logits of every token (token outputs), read at step tags.
        case lmLogits
    }

    /// A reward model's per-token head.
    enum ValueHead: Equatable {
        /// One linear layer without bias (InternLM2's `v_head`).
        case linear(String)
        /// `<module>.0` → ReLU → `<module>.2`, with biases (Qwen2.5-Math reward models' `score`).
        case mlp(String)
    }

    var kind: Kind
    /// The generative architecture whose body this is.
    var base: String
    /// Every token of a sequence sees every other (embedders and rerankers trained without the causal mask).
    var bidirectional = false
    /// The pooling when neither `--pooling` nor sentence-transformers files say.
    var pooling: PoolingKind = .last

    /// Attention is causal (false for the bidirectional variants).
    var causal: Bool { !bidirectional }

    /// Pooling architectures served by decoder recipes, by name.
    static let pooling: [String: DecoderHead] = {
        var table: [String: DecoderHead] = [:]
        for (name, base) in [("LlamaModel", "LlamaForCausalLM"), ("MistralModel", "MistralForCausalLM"),
                             ("Qwen2Model", "Qwen2ForCausalLM"), ("Qwen3Model", "Qwen3ForCausalLM"),
                             ("GemmaModel", "GemmaForCausalLM"), ("Gemma2Model", "Gemma2ForCausalLM"),
                             ("Gemma3TextModel", "Gemma3ForCausalLM")] {
            table[name] = DecoderHead(kind: .embed, base: base)
        }
        for (name, base) in [("LlamaForSequenceClassification", "LlamaForCausalLM"),
                             ("MistralForSequenceClassification", "MistralForCausalLM"),
                             ("Qwen2ForSequenceClassification", "Qwen2ForCausalLM"),
                             ("Qwen3ForSequenceClassification", "Qwen3ForCausalLM"),
                             ("GemmaForSequenceClassification", "GemmaForCausalLM"),
                             ("Gemma2ForSequenceClassification", "Gemma2ForCausalLM"),
                             ("GPT2ForSequenceClassification", "GPT2LMHeadModel"),
                             ("JambaForSequenceClassification", "JambaForCausalLM")] {
            table[name] = DecoderHead(kind: .classifier(module: "score", temperature: false), base: base)
        }
        table["LlamaBidirectionalModel"] = DecoderHead(kind: .embed, base: "LlamaForCausalLM", bidirectional: true, pooling: .mean)
        table["LlamaBidirectionalForSequenceClassification"] = DecoderHead(
            kind: .classifier(module: "score", temperature: true), base: "LlamaForCausalLM", bidirectional: true, pooling: .mean)
        table["Qwen2ForRewardModel"] = DecoderHead(kind: .reward(.mlp("score")), base: "Qwen2ForCausalLM")
        table["Qwen2ForProcessRewardModel"] = DecoderHead(kind: .reward(.mlp("score")), base: "Qwen2ForCausalLM", pooling: .step)
        table["InternLM2ForRewardModel"] = DecoderHead(kind: .reward(.linear("v_head")), base: "InternLM2ForCausalLM")
        return table
    }()

    /// The pooling architectures whose body is one of `generative`, sorted.
    static func poolingArchitectures(over generative: [String]) -> [String] {
        pooling.filter { generative.contains($0.value.base) }.map(\.key).sorted()
    }

    /// The head of `model`: its pooling architecture's, else a generative model's unless `--pooling` / `--normalize`
    /// ask for pooling (GritLM then embeds bidirectionally with mean pooling, its embedding mode).
    init(_ model: ModelDirectory) {
        if let head = Self.pooling[model.architecture] {
            self = head
            return
        }
        let override = model.poolingOverride
        if override.pooling == nil && override.normalize == nil {
            self.init(kind: .generate, base: model.architecture)
        } else if override.pooling == .step {
            self.init(kind: .lmLogits, base: model.architecture, pooling: .step)
        } else {
            let gritLM = model.architecture == "GritLM"
            self.init(kind: .embed, base: model.architecture, bidirectional: gritLM, pooling: gritLM ? .mean : .last)
        }
    }

    init(kind: Kind, base: String, bidirectional: Bool = false, pooling: PoolingKind = .last) {
        self.kind = kind
        self.base = base
        self.bidirectional = bidirectional
        self.pooling = pooling
    }

    /// Ends a decoder whose residual stream (every token, before the final norm) is `residual`: the LM head on the
    /// last token for a generative model, else the final hidden states and this head's pooling outputs. `finalNorm`
    /// and `lmHead` add the model's own final norm and LM head (with any final soft cap) to any rows; `info` is the
    /// model's (without pooling facts).
    func finish(_ b: inout GraphBuilder, residual: ValueID, model: ModelDirectory, checkpoint: Checkpoint, info: ModelInfo,
                finalNorm: (inout GraphBuilder, ValueID) throws -> ValueID,
                lmHead: (inout GraphBuilder, ValueID) throws -> ValueID) throws -> Graph {
        if kind == .generate {
            let last = b.lastRow(residual, name: "last_hidden")
            let normed = try finalNorm(&b, last)
            let logits = try lmHead(&b, normed)
            return b.finish(logits: logits, info: info)
        }
        let file = model.path("config.json")
        let hidden = try finalNorm(&b, residual)
        let config = try PoolingConfig.resolve(model, default: PoolingConfig(pooling: pooling, normalize: kind == .embed))
        let w = WeightBinder(checkpoint: checkpoint)
        let width = b.type(of: hidden).cols
        var outputs = PoolingOutputs(hidden: hidden)
        var labels: [String] = []
        let task: PoolingTask
        switch kind {
        case .generate:
            preconditionFailure("handled above")
        case .embed:
            outputs.pooled = try b.pooledEmbedding(hidden, config, file: file)
            task = .embed
        case .classifier(let module, let temperature):
            guard let reduction = config.pooling.reduction else {
                throw FrontendError.badValue(file: file, key: "pooling", reason: "a classifier needs one vector per sequence, not \(config.pooling.rawValue) pooling")
            }
            let count = try checkpoint.shape(of: module + ".weight").first ?? 0
            let pooled = b.pool(hidden, reduction, name: "pooler.\(reduction.rawValue)")
            var logits = b.linear(pooled, weight: try w(module + ".weight", [count, width]), name: module)
            let head = try model.config(ClassifierConfig.self)
            if temperature && head.temperature != 1 { logits = b.scale(logits, by: 1 / head.temperature, name: module + ".temperature") }
            outputs.sequenceLogits = logits
            labels = head.labels(count: count)
            task = .sequenceHead(labels: count)
        case .reward(let head):
            let values = try Self.valueHead(head, hidden, width: width, w: w, b: &b)
            outputs.tokenLogits = values
            if let reduction = config.pooling.reduction { outputs.sequenceLogits = b.pool(values, reduction, name: "reward") }
            task = .reward
        case .lmLogits:
            outputs.tokenLogits = try lmHead(&b, hidden)
            task = .reward
        }
        var full = info
        full.pooling = PoolingInfo(task: task, pooling: config.pooling, normalize: config.normalize, labels: labels, tokenTypes: false,
                                   maxTokens: info.maxPosition, stepTagID: model.poolingOverride.stepTagID,
                                   stepReturnedIDs: model.poolingOverride.returnedTokenIDs)
        return b.finish(pooling: outputs, info: full)
    }

    /// A reward head on every row of `hidden`.
    private static func valueHead(_ head: ValueHead, _ hidden: ValueID, width: Int, w: WeightBinder,
                                  b: inout GraphBuilder) throws -> ValueID {
        switch head {
        case .linear(let module):
            let rows = try w.checkpoint.shape(of: module + ".weight").first ?? 0
            return b.linear(hidden, weight: try w(module + ".weight", [rows, width]), name: module)
        case .mlp(let module):
            let (first, second) = (module + ".0", module + ".2")
            let rows = try w.checkpoint.shape(of: second + ".weight").first ?? 0
            let inner = try w.checkpoint.shape(of: first + ".weight").first ?? 0
            let projected = b.linear(hidden, weight: try w(first + ".weight", [inner, width]), bias: try w(first + ".bias", [inner]),
                                     name: first)
            let activated = b.unary(projected, .relu, name: module + ".1")
            return b.linear(activated, weight: try w(second + ".weight", [rows, inner]), bias: try w(second + ".bias", [rows]),
                            name: second)
        }
    }
}
