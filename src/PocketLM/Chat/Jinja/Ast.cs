using System.Runtime.CompilerServices;
using System.Text;

namespace PocketLM.Chat.Jinja;

internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, object?>? vars;
    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s.vars is not null && s.vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => (vars ??= [])[name] = value;
}

/// <summary>Render state: the current scope and output buffer.</summary>
internal sealed class Ctx(Scope scope)
{
    public Scope Scope { get; set; } = scope;
    public StringBuilder Out { get; set; } = new();
    public int Depth { get; set; }

    public object? Lookup(string name) => Scope.TryGet(name, out var v) ? v : Undefined.Name(name);

    /// <summary>Runs <paramref name="body"/> in a child scope with its own output buffer and returns what it wrote.</summary>
    public string Capture(Scope scope, IReadOnlyList<Stmt> body)
    {
        var (savedScope, savedOut) = (Scope, Out);
        if (++Depth > 400) throw new JinjaError("maximum recursion depth exceeded");
        Scope = scope;
        Out = new StringBuilder();
        try
        {
            Stmt.ExecBody(this, body);
            return Out.ToString();
        }
        finally
        {
            Scope = savedScope;
            Out = savedOut;
            Depth--;
        }
    }
}

internal abstract class Node(int line, int col)
{
    public int Line { get; } = line;
    public int Col { get; } = col;

    protected TemplateException Located(Exception e) => e switch
    {
        TemplateException t => t,
        JinjaError j => new TemplateException(j.Message, Line, Col),
        InsufficientExecutionStackException => new TemplateException("template nesting is too deep", Line, Col),
        _ => new TemplateException($"internal error: {e.GetType().Name}: {e.Message}", Line, Col),
    };
}

// =====================================================================================================
// Expressions
// =====================================================================================================

internal abstract class Expr(int line, int col) : Node(line, col)
{
    public object? Eval(Ctx c)
    {
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            return EvalCore(c);
        }
        catch (Exception e) when (e is not TemplateException && e is not OutOfMemoryException)
        {
            throw Located(e);
        }
    }

    protected abstract object? EvalCore(Ctx c);
}

internal sealed class ConstExpr(object? value, int line, int col) : Expr(line, col)
{
    public object? Value { get; } = value;
    protected override object? EvalCore(Ctx c) => Value;
}

internal sealed class NameExpr(string name, int line, int col) : Expr(line, col)
{
    public string Name { get; } = name;
    protected override object? EvalCore(Ctx c) => c.Lookup(Name);
}

internal sealed class ListExpr(List<Expr> items, bool tuple, int line, int col) : Expr(line, col)
{
    public List<Expr> Items { get; } = items;
    public bool IsTuple { get; } = tuple;
    protected override object? EvalCore(Ctx c)
    {
        var l = new PyList { IsTuple = IsTuple };
        foreach (var e in Items) l.Add(e.Eval(c));
        return l;
    }
}

internal sealed class DictExpr(List<(Expr Key, Expr Value)> items, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var d = new PyDict();
        foreach (var (k, v) in items)
        {
            var key = k.Eval(c);
            if (key is null or Undefined or PyList { IsTuple: false } or PyDict) throw new JinjaError($"unhashable dict key of type '{Py.TypeName(key)}'");
            d[key] = v.Eval(c);
        }
        return d;
    }
}

internal sealed class AttrExpr(Expr obj, string name, int line, int col) : Expr(line, col)
{
    public Expr Obj { get; } = obj;
    public string Name { get; } = name;
    protected override object? EvalCore(Ctx c) => Py.GetAttr(Obj.Eval(c), Name);
}

internal sealed class ItemExpr(Expr obj, Expr index, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c) => Py.GetItem(obj.Eval(c), index.Eval(c));
}

internal sealed class SliceExpr(Expr obj, Expr? start, Expr? stop, Expr? step, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c) =>
        Py.Slice(obj.Eval(c), start?.Eval(c), stop?.Eval(c), step?.Eval(c));
}

internal sealed class ArgList
{
    public List<Expr> Pos { get; } = [];
    public List<(string Name, Expr Value)> Kw { get; } = [];

    public CallArgs Eval(Ctx c)
    {
        var pos = new List<object?>(Pos.Count);
        foreach (var e in Pos) pos.Add(e.Eval(c));
        var kw = new List<KeyValuePair<string, object?>>(Kw.Count);
        foreach (var (n, e) in Kw) kw.Add(new(n, e.Eval(c)));
        return new CallArgs(pos, kw);
    }
}

internal sealed class CallExpr(Expr fn, ArgList args, int line, int col) : Expr(line, col)
{
    public Expr Fn { get; } = fn;
    public ArgList Args { get; } = args;

    protected override object? EvalCore(Ctx c) => Invoke(c, Fn.Eval(c), Args.Eval(c));

    public static object? Invoke(Ctx c, object? fn, CallArgs args) => fn switch
    {
        PyFunc f => f.Invoke(c, args),
        Undefined u => throw new JinjaError(u.Hint),
        _ => throw new JinjaError($"'{Py.TypeName(fn)}' object is not callable"),
    };
}

internal sealed class FilterExpr(Expr? input, string name, ArgList args, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var value = input is null ? Undefined.Instance : input.Eval(c);
        return Builtins.ApplyFilter(c, name, value, args.Eval(c));
    }
}

internal sealed class TestExpr(Expr input, string name, ArgList args, bool negated, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        bool r = Builtins.ApplyTest(c, name, input.Eval(c), args.Eval(c));
        return negated ? !r : r;
    }
}

internal sealed class NotExpr(Expr e, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c) => !Py.Truthy(e.Eval(c));
}

internal sealed class NegExpr(Expr e, bool plus, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var v = e.Eval(c);
        if (!plus) return Py.Neg(v);
        return Py.IsNumber(v) ? (v is bool b ? (b ? 1L : 0L) : v) : throw new JinjaError($"bad operand type for unary +: '{Py.TypeName(v)}'");
    }
}

internal sealed class AndOrExpr(Expr l, Expr r, bool isAnd, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var a = l.Eval(c);
        if (isAnd) return Py.Truthy(a) ? r.Eval(c) : a;
        return Py.Truthy(a) ? a : r.Eval(c);
    }
}

internal sealed class BinExpr(string op, Expr l, Expr r, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var a = l.Eval(c);
        var b = r.Eval(c);
        return op switch
        {
            "+" => Py.Add(a, b),
            "-" => Py.Sub(a, b),
            "*" => Py.Mul(a, b),
            "/" => Py.Div(a, b),
            "//" => Py.FloorDiv(a, b),
            "%" => Py.Mod(a, b),
            "**" => Py.Pow(a, b),
            _ => throw new JinjaError($"unknown operator {op}"),
        };
    }
}

internal sealed class ConcatExpr(List<Expr> parts, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var sb = new StringBuilder();
        foreach (var p in parts) sb.Append(Py.Str(p.Eval(c)));
        return sb.ToString();
    }
}

internal sealed class CompareExpr(Expr first, List<(string Op, Expr Right)> rest, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c)
    {
        var left = first.Eval(c);
        foreach (var (op, re) in rest)
        {
            var right = re.Eval(c);
            if (!Apply(op, left, right)) return false;
            left = right;
        }
        return true;
    }

    public static bool Apply(string op, object? a, object? b) => op switch
    {
        "==" => Py.Eq(a, b),
        "!=" => !Py.Eq(a, b),
        "<" => Py.Compare(a, b, op) < 0,
        "<=" => Py.Compare(a, b, op) <= 0,
        ">" => Py.Compare(a, b, op) > 0,
        ">=" => Py.Compare(a, b, op) >= 0,
        "in" => Py.Contains(b, a),
        "notin" => !Py.Contains(b, a),
        _ => throw new JinjaError($"unknown comparison {op}"),
    };
}

internal sealed class CondExpr(Expr test, Expr then, Expr? otherwise, int line, int col) : Expr(line, col)
{
    protected override object? EvalCore(Ctx c) =>
        Py.Truthy(test.Eval(c)) ? then.Eval(c) : otherwise is null ? Undefined.Instance : otherwise.Eval(c);
}

// =====================================================================================================
// Statements
// =====================================================================================================

internal enum Flow { Normal, Break, Continue }

internal abstract class Stmt(int line, int col) : Node(line, col)
{
    public Flow Exec(Ctx c)
    {
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            return ExecCore(c);
        }
        catch (Exception e) when (e is not TemplateException && e is not OutOfMemoryException)
        {
            throw Located(e);
        }
    }

    protected abstract Flow ExecCore(Ctx c);

    public static Flow ExecBody(Ctx c, IReadOnlyList<Stmt> body)
    {
        foreach (var s in body)
        {
            var f = s.Exec(c);
            if (f != Flow.Normal) return f;
        }
        return Flow.Normal;
    }
}

internal sealed class TextStmt(string text, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        c.Out.Append(text);
        return Flow.Normal;
    }
}

internal sealed class OutputStmt(Expr e, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        c.Out.Append(Py.Str(e.Eval(c)));
        return Flow.Normal;
    }
}

internal sealed class IfStmt(List<(Expr Cond, List<Stmt> Body)> branches, List<Stmt>? otherwise, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        foreach (var (cond, body) in branches)
            if (Py.Truthy(cond.Eval(c))) return ExecBody(c, body);
        return otherwise is null ? Flow.Normal : ExecBody(c, otherwise);
    }
}

/// <summary>An assignment target: a name, a tuple of targets, or namespace.attribute.</summary>
internal sealed class Target
{
    public string? Name { get; init; }
    public string? Attr { get; init; }
    public List<Target>? Items { get; init; }
    public int Line { get; init; }
    public int Col { get; init; }

    public void Assign(Ctx c, object? value)
    {
        if (Items is not null)
        {
            var vals = Py.ToList(value);
            if (vals.Count != Items.Count)
                throw new JinjaError(vals.Count > Items.Count
                    ? $"too many values to unpack (expected {Items.Count})"
                    : $"not enough values to unpack (expected {Items.Count}, got {vals.Count})");
            for (int i = 0; i < Items.Count; i++) Items[i].Assign(c, vals[i]);
        }
        else if (Attr is not null)
        {
            var obj = c.Lookup(Name!);
            if (obj is not Namespace ns) throw new JinjaError($"cannot assign attribute on non-namespace object ('{Name}' is {Py.TypeName(obj)})");
            ns.Attrs[Attr] = value;
        }
        else
        {
            c.Scope.Set(Name!, value);
        }
    }
}

internal sealed class ForStmt(Target target, Expr iter, Expr? filter, List<Stmt> body, List<Stmt>? otherwise, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        var seq = iter.Eval(c);
        if (seq is null) throw new JinjaError("'NoneType' object is not iterable");
        var items = Py.Iterate(seq).ToList();
        var outer = c.Scope;
        if (filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                c.Scope = new Scope(outer);
                try
                {
                    target.Assign(c, item);
                    if (Py.Truthy(filter.Eval(c))) kept.Add(item);
                }
                finally { c.Scope = outer; }
            }
            items = kept;
        }
        if (items.Count == 0)
            return otherwise is null ? Flow.Normal : ExecBody(c, otherwise);

        var loop = new LoopInfo { Items = items, Depth0 = 0 }; // depth grows only in recursive loops, which are not supported
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                loop.Index0 = i;
                c.Scope = new Scope(outer);
                c.Scope.Set("loop", loop);
                target.Assign(c, items[i]);
                if (ExecBody(c, body) == Flow.Break) break;
            }
        }
        finally { c.Scope = outer; }
        return Flow.Normal;
    }
}

internal sealed class SetStmt(Target target, Expr value, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        target.Assign(c, value.Eval(c));
        return Flow.Normal;
    }
}

/// <summary>{% set x %}...{% endset %}, optionally filtered; also {% filter f %}...{% endfilter %} (no target).</summary>
internal sealed class CaptureStmt(Target? target, Expr? filter, List<Stmt> body, int line, int col) : Stmt(line, col)
{
    public const string Slot = "\0captured";

    protected override Flow ExecCore(Ctx c)
    {
        object? value = c.Capture(new Scope(c.Scope), body);
        if (filter is not null)
        {
            var saved = c.Scope;
            c.Scope = new Scope(saved);
            c.Scope.Set(Slot, value);
            try { value = filter.Eval(c); }
            finally { c.Scope = saved; }
        }
        if (target is null) c.Out.Append(Py.Str(value));
        else target.Assign(c, value);
        return Flow.Normal;
    }
}

internal sealed class LoopControlStmt(bool isBreak, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c) => isBreak ? Flow.Break : Flow.Continue;
}

internal sealed class DoStmt(Expr e, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        e.Eval(c);
        return Flow.Normal;
    }
}

/// <summary>Blocks whose body is rendered as-is ({% generation %}).</summary>
internal sealed class BlockStmt(List<Stmt> body, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c) => ExecBody(c, body);
}

internal sealed class MacroDef(string name, List<string> parameters, List<Expr?> defaults, List<Stmt> body)
{
    public string Name { get; } = name;

    public PyFunc Bind(Scope closure) => new(Name, (c, args) => Invoke(c, closure, args));

    private string Invoke(Ctx c, Scope closure, CallArgs args)
    {
        var scope = new Scope(closure);
        var used = new HashSet<string>();
        var savedScope = c.Scope;
        c.Scope = scope;
        try
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                string p = parameters[i];
                object? v;
                if (i < args.Pos.Count) v = args.Pos[i];
                else if (args.Kw.FindIndex(kv => kv.Key == p) is int k and >= 0) { v = args.Kw[k].Value; used.Add(p); }
                else if (defaults[i] is Expr d) v = d.Eval(c);
                else v = Undefined.Name(p);
                scope.Set(p, v);
            }
        }
        finally { c.Scope = savedScope; }
        var varargs = new PyList { IsTuple = true };
        for (int i = parameters.Count; i < args.Pos.Count; i++) varargs.Add(args.Pos[i]);
        var kwargs = new PyDict();
        foreach (var kv in args.Kw)
        {
            if (kv.Key == "caller") scope.Set("caller", kv.Value);
            else if (!used.Contains(kv.Key) && !parameters.Contains(kv.Key)) kwargs[kv.Key] = kv.Value;
        }
        scope.Set("varargs", varargs);
        scope.Set("kwargs", kwargs);
        return c.Capture(scope, body);
    }
}

internal sealed class MacroStmt(MacroDef macro, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        c.Scope.Set(macro.Name, macro.Bind(c.Scope));
        return Flow.Normal;
    }
}

internal sealed class CallBlockStmt(CallExpr call, MacroDef caller, int line, int col) : Stmt(line, col)
{
    protected override Flow ExecCore(Ctx c)
    {
        var fn = call.Fn.Eval(c);
        var args = call.Args.Eval(c);
        args.Kw.Add(new("caller", caller.Bind(c.Scope)));
        c.Out.Append(Py.Str(CallExpr.Invoke(c, fn, args)));
        return Flow.Normal;
    }
}
