/// What the config classes of the Llama-like model types assume when config.json leaves a key out, and which keys
/// they read under which names. Values are those of transformers 5.24's `configuration_<type>.py` (remote-code types:
/// their own configuration files as vLLM reads them).
struct LlamaModelType {
    /// Which projections carry a bias and which config key says so.
    enum Bias {
        /// `attention_bias` on q/k/v/o (default given), `mlp_bias` on the MLP (Llama and most).
        case attentionKey(Bool)
        /// q/k/v biased from `attention_bias` (default given), o_proj never (GLM).
        case qkvFromAttentionKey(Bool)
        /// q/k/v always biased, o_proj never; no key (Qwen2, Qwen-1, MiMo).
        case qkvAlways
        /// No attention bias whatever the keys say (Mistral).
        case never
        /// `attention_bias` on q/k/v and `attention_out_bias` on o_proj (Seed-OSS).
        case separateOutput(qkv: Bool, output: Bool)
        /// `use_bias` on q/k/v/o and the MLP (Ernie 4.5).
        case useBias
    }

    var rmsNormEps: Float = 1e-6
    var ropeTheta: Float = 10000
    /// head_dim when config.json has none (nil: hidden_size / num_attention_heads).
    var headDim: Int? = nil
    /// num_key_value_heads when config.json has none (nil: num_attention_heads). Mistral's, Qwen2's and Qwen3's config
    /// classes default to 8 / 32 / 32, which only fit their default 32 heads; llmc keeps num_attention_heads there.
    var kvHeads: Int? = nil
    var tiedEmbeddings = false
    var maxPosition = 2048
    var hiddenAct = "silu"
    var bias = Bias.attentionKey(false)
    /// Whether the model's rotary embedding honours `partial_rotary_factor`, and its default (nil: transformers'
    /// Llama-style rotary ignores the factor and always rotates the whole head).
    var partialRotary: Double? = nil
    /// Mistral: `sliding_window` applies to every layer without `use_sliding_window`.
    var slidingByDefault = false
    /// `rope_parameters` the config class fills in when config.json has none (Apertus: llama3 scaling).
    var defaultRope: RopeParametersJSON? = nil
    /// Top-level `original_max_position_embeddings` of the config class (Phi-3 has one; it overrides the rope one).
    var originalMaxPosition: Int? = nil
    /// Rope types the config class renames (Phi-3 reads 'su' and 'yarn' as 'longrope').
    var ropeTypeRenames: [String: String] = [:]
    /// Older key spellings kept by the config class's `attribute_map` (canonical name -> alias).
    var aliases: [String: String] = [:]

    /// The settings for a `model_type` (Llama's for unknown or missing types).
    static func named(_ type: String) -> LlamaModelType {
        switch type {
        case "mistral": LlamaModelType(maxPosition: 4096 * 32, bias: .never, slidingByDefault: true)
        case "qwen2", "mimo": LlamaModelType(maxPosition: 32768, bias: .qkvAlways)
        case "qwen3": LlamaModelType(headDim: 128, maxPosition: 32768)
        case "granite": LlamaModelType()
        case "phi3": LlamaModelType(rmsNormEps: 1e-5, maxPosition: 4096, bias: .never, partialRotary: 1, slidingByDefault: true,
                                    originalMaxPosition: 4096,
                                    ropeTypeRenames: ["su": "longrope", "yarn": "longrope"])
        case "glm": LlamaModelType(rmsNormEps: 1.5625e-7, headDim: 128, kvHeads: 2, maxPosition: 131072,
                                   bias: .qkvFromAttentionKey(true), partialRotary: 0.5)
        case "ernie4_5": LlamaModelType(rmsNormEps: 1e-5, ropeTheta: 500000, headDim: 128, kvHeads: 2, tiedEmbeddings: true,
                                        maxPosition: 131072, bias: .useBias)
        case "smollm3": LlamaModelType(ropeTheta: 2_000_000, kvHeads: 4, tiedEmbeddings: true, maxPosition: 32768)
        case "apertus": LlamaModelType(rmsNormEps: 1e-5, ropeTheta: 12_000_000, maxPosition: 65536, hiddenAct: "xielu",
                                       defaultRope: RopeParametersJSON(ropeType: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
                                                                       originalMaxPositionEmbeddings: 8192))
        // MLA models (MLARecipe): the rotary embedding spans qk_rope_head_dim, which the config classes set head_dim to.
        case "minicpm3": LlamaModelType(rmsNormEps: 1e-5, headDim: 32, tiedEmbeddings: true, maxPosition: 32768,
                                        aliases: ["head_dim": "qk_rope_head_dim"])
        case "deepseek_v2": LlamaModelType(headDim: 64, aliases: ["head_dim": "qk_rope_head_dim"])
        case "deepseek_v3": LlamaModelType(headDim: 64, maxPosition: 4096, aliases: ["head_dim": "qk_rope_head_dim"])
        case "arcee": LlamaModelType(rmsNormEps: 1e-5, maxPosition: 4096, hiddenAct: "relu2")
        case "hunyuan_v1_dense": LlamaModelType(rmsNormEps: 1e-5)
        case "seed_oss": LlamaModelType(headDim: 128, kvHeads: 8, maxPosition: 524288,
                                        bias: .separateOutput(qkv: true, output: false))
        case "exaone": LlamaModelType(rmsNormEps: 1e-5, ropeTheta: 500000, kvHeads: 8, maxPosition: 4096,
                                      aliases: ["num_hidden_layers": "num_layers", "rms_norm_eps": "layer_norm_epsilon",
                                                "hidden_act": "activation_function"])
        case "internlm3": LlamaModelType(rmsNormEps: 1e-5, headDim: 128, kvHeads: 2, maxPosition: 32768,
                                         aliases: ["attention_bias": "qkv_bias", "mlp_bias": "bias"])
        case "iquestcoder": LlamaModelType(rmsNormEps: 1e-5, headDim: 128, kvHeads: 8, maxPosition: 131072)
        case "internlm": LlamaModelType(aliases: ["attention_bias": "bias"])
        case "internlm2": LlamaModelType(bias: .attentionKey(true), aliases: ["attention_bias": "bias"])
        case "baichuan": LlamaModelType(maxPosition: 4096)
        // Family H (MoERecipe): the attention blocks of the mixture-of-experts model types.
        case "mixtral": LlamaModelType(rmsNormEps: 1e-5, maxPosition: 4096 * 32, bias: .never, slidingByDefault: true)
        case "qwen2_moe": LlamaModelType(maxPosition: 32768, bias: .qkvFromAttentionKey(true), aliases: ["attention_bias": "qkv_bias"])
        case "qwen3_moe": LlamaModelType(maxPosition: 32768)
        case "olmoe": LlamaModelType(rmsNormEps: 1e-5, maxPosition: 4096)
        case "hunyuan_v1_moe": LlamaModelType(rmsNormEps: 1e-5)
        case "ernie4_5_moe": LlamaModelType(rmsNormEps: 1e-5, ropeTheta: 500000, kvHeads: 4, tiedEmbeddings: true, maxPosition: 131072,
                                            bias: .useBias)
        case "glm4_moe": LlamaModelType(rmsNormEps: 1e-5, kvHeads: 8, maxPosition: 131072, bias: .qkvFromAttentionKey(false), partialRotary: 0.5)
        case "dots1": LlamaModelType(maxPosition: 2048)
        case "exaone_moe": LlamaModelType(rmsNormEps: 1e-5)
        case "minimax_m2": LlamaModelType(ropeTheta: 5_000_000, headDim: 128, kvHeads: 8, maxPosition: 196608, partialRotary: 1)
        default: LlamaModelType()
        }
    }
}
