namespace PocketLM.Inference;

/// <summary>The hook points of the forward pass, named as in TransformerLens.</summary>
public enum HookKind
{
    /// <summary><c>hook_embed</c>: token embeddings [tokens × d_model].</summary>
    Embed,
    /// <summary><c>blocks.{i}.hook_resid_pre</c>: the residual stream entering block i.</summary>
    ResidPre,
    /// <summary><c>blocks.{i}.attn.hook_q</c>: queries after projection and bias, before q-norm and rope [tokens × heads·d_head].</summary>
    Q,
    /// <summary><c>blocks.{i}.attn.hook_k</c>: keys after projection and bias, before k-norm and rope [tokens × kv_heads·d_head].</summary>
    K,
    /// <summary><c>blocks.{i}.attn.hook_v</c>: values [tokens × kv_heads·d_head].</summary>
    V,
    /// <summary><c>blocks.{i}.attn.hook_pattern</c>: attention probabilities [heads × tokens × key positions] (causal zeros included).</summary>
    Pattern,
    /// <summary><c>blocks.{i}.hook_attn_out</c>: attention output after the output projection [tokens × d_model].</summary>
    AttnOut,
    /// <summary><c>blocks.{i}.hook_resid_mid</c>: residual stream after the attention sum [tokens × d_model].</summary>
    ResidMid,
    /// <summary><c>blocks.{i}.mlp.hook_post</c>: the MLP's hidden activation silu(gate)·up [tokens × d_ff].</summary>
    MlpPost,
    /// <summary><c>blocks.{i}.hook_resid_post</c>: the residual stream leaving block i [tokens × d_model].</summary>
    ResidPost,
    /// <summary><c>ln_final.hook_normalized</c>: final RMSNorm output (weight applied) [rows × d_model].</summary>
    LnFinal,
    /// <summary><c>unembed.hook_out</c>: logits [rows × vocab].</summary>
    Unembed,
}

/// <summary>Where and what a hook sees: the tensor is row-major [Rows × Columns], rows being tokens (or heads·tokens for the pattern).</summary>
public readonly record struct HookContext(string Name, HookKind Kind, int Layer, int Rows, int Columns, int StartPosition);

/// <summary>Reads the tensor, or writes into it to replace the activation (steering, ablation, patching).</summary>
public delegate void HookHandler(in HookContext context, Span<float> tensor);

/// <summary>
/// Named hook points of one inference session. When nothing is attached the forward pass pays one predictable branch
/// per point; handlers run on the session's thread, synchronously, in attach order.
/// </summary>
public sealed class HookRegistry
{
    private readonly HookHandler?[] _handlers;
    private readonly string[] _names;
    private readonly int _layers;
    private readonly int _stride;
    private int _count;

    public HookRegistry(int layers)
    {
        _layers = layers;
        _stride = Math.Max(1, layers);
        _handlers = new HookHandler?[Enum.GetValues<HookKind>().Length * _stride];
        _names = new string[_handlers.Length];
        foreach (HookKind kind in Enum.GetValues<HookKind>())
        {
            if (IsGlobal(kind)) _names[Index(kind, 0)] = NameOf(kind, 0);
            else for (int l = 0; l < layers; l++) _names[Index(kind, l)] = NameOf(kind, l);
        }
    }

    /// <summary>True when at least one handler is attached anywhere.</summary>
    public bool Any => _count > 0;

    /// <summary>Every hook point name of a model with this many layers.</summary>
    public IEnumerable<string> Names => _names.Where(n => n != null);

    public static string NameOf(HookKind kind, int layer) => kind switch
    {
        HookKind.Embed => "hook_embed",
        HookKind.ResidPre => $"blocks.{layer}.hook_resid_pre",
        HookKind.Q => $"blocks.{layer}.attn.hook_q",
        HookKind.K => $"blocks.{layer}.attn.hook_k",
        HookKind.V => $"blocks.{layer}.attn.hook_v",
        HookKind.Pattern => $"blocks.{layer}.attn.hook_pattern",
        HookKind.AttnOut => $"blocks.{layer}.hook_attn_out",
        HookKind.ResidMid => $"blocks.{layer}.hook_resid_mid",
        HookKind.MlpPost => $"blocks.{layer}.mlp.hook_post",
        HookKind.ResidPost => $"blocks.{layer}.hook_resid_post",
        HookKind.LnFinal => "ln_final.hook_normalized",
        HookKind.Unembed => "unembed.hook_out",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static bool IsGlobal(HookKind kind) => kind is HookKind.Embed or HookKind.LnFinal or HookKind.Unembed;

    // One slot per kind × layer; global points use their kind's layer-0 slot.
    private int Index(HookKind kind, int layer) => (int)kind * _stride + (IsGlobal(kind) ? 0 : layer);

    /// <summary>Attaches a handler to a named point; dispose the result to detach. Unknown names are an ArgumentException listing examples.</summary>
    public IDisposable Add(string name, HookHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        int i = Array.IndexOf(_names, name);
        if (i < 0)
            throw new ArgumentException($"unknown hook point '{name}'; examples: hook_embed, blocks.0.hook_resid_pre, blocks.0.attn.hook_pattern, ln_final.hook_normalized, unembed.hook_out (blocks 0..{_layers - 1})", nameof(name));
        _handlers[i] = (HookHandler?)Delegate.Combine(_handlers[i], handler);
        _count++;
        return new Detach(this, i, handler);
    }

    public void Clear()
    {
        Array.Clear(_handlers);
        _count = 0;
    }

    /// <summary>True when a handler is attached to this point.</summary>
    public bool IsActive(HookKind kind, int layer) => _count > 0 && _handlers[Index(kind, layer)] != null;

    internal unsafe void Fire(HookKind kind, int layer, float* data, int rows, int columns, int startPosition)
    {
        int i = Index(kind, layer);
        var handler = _handlers[i];
        if (handler == null) return;
        var ctx = new HookContext(_names[i], kind, IsGlobal(kind) ? -1 : layer, rows, columns, startPosition);
        handler(in ctx, new Span<float>(data, checked(rows * columns)));
    }

    private sealed class Detach(HookRegistry registry, int index, HookHandler handler) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            registry._handlers[index] = (HookHandler?)Delegate.Remove(registry._handlers[index], handler);
            registry._count--;
        }
    }
}
