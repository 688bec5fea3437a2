import IR

/// One architecture's settings of the Llama forward pass (`LlamaRecipe`): its config, where its weights live, and the
/// knobs in which it departs from Llama. Built by `LlamaVariants` from config.json.
struct LlamaSpec {
    /// How q, k and v are stored.
    enum QKVLayout {
        /// Three matrices (`names.q`, `names.k`, `names.v`).
        case separate
        /// One matrix with q, k, v rows stacked (`names.qkv`: Phi-3 qkv_proj, Baichuan W_pack, Qwen-1 c_attn,
        /// ChatGLM query_key_value); read by one linear whose output columns are sliced.
        case fused
        /// One matrix whose rows go per key/value head: that head's query heads, then its key, then its value
        /// (InternLM2 wqkv); de-interleaved into three matrices when the weights are written.
        case groupedPerKVHead
    }

    /// Where the per-head q/k RMSNorm sits.
    enum QKNorm {
        /// Before rotary (Qwen3, Apertus).
        case beforeRope
        /// After rotary (HunYuan dense).
        case afterRope
        /// Before rotary, one norm over the whole projected q and one over k (OLMoE).
        case fullWidth
    }

    var config: LlamaConfig
    var names = LlamaWeightNames()
    var qkv = QKVLayout.separate
    var gateUpFused = false
    var ropeStyle = RopeStyle.neox
    var qkNorm: QKNorm? = nil
    /// Softmax scale; nil means 1/sqrt(head_dim).
    var attentionScale: Float? = nil
    /// Factor on the token embeddings (Granite embedding_multiplier, MiniCPM scale_emb).
    var embeddingMultiplier: Float = 1
    /// Factor on each attention and MLP output before the residual add (Granite residual_multiplier).
    var residualMultiplier: Float = 1
    /// Factor on the logits (Granite 1/logits_scaling).
    var logitMultiplier: Float = 1
    /// lm_head rows are L2-normalised before use (Baichuan2's NormHead).
    var normalizedHead = false
    /// q, k and v clamped to ±clip after the q/k norm, before rotary (OLMoE's `clip_qkv`).
    var clipQKV: Float? = nil
    /// Norms of each sublayer's output inside the residual, x + norm(f(norm(x))) (AFMoE's post_attention_layernorm and
    /// post_mlp_layernorm, modules relative to the layer); nil: Llama's x + f(norm(x)).
    var outputNorms: (attention: String, mlp: String)? = nil
    /// A `[heads·head_dim, hidden]` module whose sigmoid gates the attention output elementwise before o_proj
    /// (AFMoE's self_attn.gate_proj); nil: ungated.
    var attentionOutputGate: String? = nil
    /// Per-head attention-sink logits, `[heads]` tensor name relative to the layer prefix (GPT-OSS's
    /// `self_attn.sinks`); nil: none.
    var attentionSinks: String? = nil
    /// The feed-forward block of the layers that do not have the dense MLP (mixture-of-experts models): nil keeps
    /// the dense MLP everywhere.
    var feedForward: FeedForward? = nil
    /// The attention block of every layer when it is not Llama's q/k/v attention (DeepSeek's multi-head latent
    /// attention), with the K width it caches per position; nil: Llama's.
    var attention: (block: AttentionBlock, kvWidth: Int)? = nil

    /// Builds layer `layer`'s feed-forward output (before the residual multiplier and add) from its normalised
    /// input, or returns nil for a dense-MLP layer. `prefix` is the layer's checkpoint prefix, `name` its node-name
    /// prefix.
    typealias FeedForward = (_ b: inout GraphBuilder, _ input: ValueID, _ layer: Int, _ prefix: String, _ name: String,
                             _ weights: WeightBinder) throws -> ValueID?

    /// Builds layer `layer`'s attention output (after its output projection, before the residual multiplier and add)
    /// from its normalised input; arguments as `FeedForward`'s.
    typealias AttentionBlock = (_ b: inout GraphBuilder, _ input: ValueID, _ layer: Int, _ prefix: String, _ name: String,
                                _ weights: WeightBinder) throws -> ValueID

    init(_ config: LlamaConfig) {
        self.config = config
    }
}
