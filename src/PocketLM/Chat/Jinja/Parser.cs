using System.Runtime.CompilerServices;

namespace PocketLM.Chat.Jinja;

/// <summary>Recursive-descent parser with Jinja2's grammar and operator precedence.</summary>
internal sealed class Parser
{
    private readonly List<Token> t;
    private int i;
    private int loopDepth;

    private Parser(List<Token> tokens) => t = tokens;

    public static List<Stmt> Parse(string source)
    {
        var p = new Parser(Lexer.Tokenize(source));
        try
        {
            return p.ParseBody([], out _, null);
        }
        catch (InsufficientExecutionStackException)
        {
            throw p.Error("template nesting is too deep");
        }
    }

    private Token Cur => t[i];
    private Token Peek(int k = 1) => t[Math.Min(i + k, t.Count - 1)];

    private TemplateException Error(string msg, Token? at = null)
    {
        var tok = at ?? Cur;
        return new TemplateException(msg, tok.Line, tok.Col);
    }

    private bool IsOp(string op) => Cur.Kind == TokKind.Op && Cur.Text == op;
    private bool IsName(string name) => Cur.Kind == TokKind.Name && Cur.Text == name;

    private bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        i++;
        return true;
    }

    private Token ExpectOp(string op)
    {
        if (!IsOp(op)) throw Error($"expected '{op}', got {Cur}");
        return t[i++];
    }

    private void ExpectName(string name)
    {
        if (!IsName(name)) throw Error($"expected '{name}', got {Cur}");
        i++;
    }

    private Token ExpectIdent()
    {
        if (Cur.Kind != TokKind.Name) throw Error($"expected a name, got {Cur}");
        return t[i++];
    }

    private void ExpectBlockEnd()
    {
        if (Cur.Kind != TokKind.BlockEnd) throw Error($"expected end of statement block '%}}', got {Cur}");
        i++;
    }

    // ----------------------------------------------------------------------------------- statements

    private List<Stmt> ParseBody(string[] endTags, out string? endTag, Token? opener)
    {
        var list = new List<Stmt>();
        while (true)
        {
            var tok = Cur;
            switch (tok.Kind)
            {
                case TokKind.Eof:
                    if (endTags.Length > 0)
                        throw Error($"unexpected end of template; looking for {string.Join(" or ", endTags.Select(e => $"'{e}'"))}"
                                    + (opener is null ? "" : $" to close '{opener.Text}' from line {opener.Line}"));
                    endTag = null;
                    return list;
                case TokKind.Data:
                    list.Add(new TextStmt(tok.Text, tok.Line, tok.Col));
                    i++;
                    break;
                case TokKind.VarBegin:
                {
                    i++;
                    var e = ParseTuple();
                    if (Cur.Kind != TokKind.VarEnd) throw Error($"expected end of print statement '}}}}', got {Cur}");
                    i++;
                    list.Add(new OutputStmt(e, tok.Line, tok.Col));
                    break;
                }
                case TokKind.BlockBegin:
                {
                    i++;
                    var name = Cur;
                    if (name.Kind != TokKind.Name) throw Error($"expected a statement name, got {name}");
                    if (endTags.Contains(name.Text))
                    {
                        i++;
                        endTag = name.Text;
                        return list;
                    }
                    list.Add(ParseStatement());
                    break;
                }
                default:
                    throw Error($"unexpected {tok}");
            }
        }
    }

    private Stmt ParseStatement()
    {
        var tok = Cur;
        switch (tok.Text)
        {
            case "if": return ParseIf();
            case "for": return ParseFor();
            case "set": return ParseSet();
            case "macro": return ParseMacro();
            case "call": return ParseCallBlock();
            case "filter": return ParseFilterBlock();
            case "break":
            case "continue":
                if (loopDepth == 0) throw Error($"'{tok.Text}' outside of a loop");
                i++;
                ExpectBlockEnd();
                return new LoopControlStmt(tok.Text == "break", tok.Line, tok.Col);
            case "do":
            {
                i++;
                var e = ParseTuple();
                ExpectBlockEnd();
                return new DoStmt(e, tok.Line, tok.Col);
            }
            case "generation":
            {
                i++;
                ExpectBlockEnd();
                var body = ParseBody(["endgeneration"], out _, tok);
                ExpectBlockEnd();
                return new BlockStmt(body, tok.Line, tok.Col);
            }
            case "include" or "extends" or "block" or "import" or "from":
                throw Error($"the '{tok.Text}' tag is not supported in chat templates");
            default:
                throw Error($"unknown tag '{tok.Text}'");
        }
    }

    private Stmt ParseIf()
    {
        var tok = t[i++];
        var branches = new List<(Expr, List<Stmt>)>();
        List<Stmt>? otherwise = null;
        var cond = ParseTuple(withCondexpr: false);
        while (true)
        {
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out var end, tok);
            branches.Add((cond, body));
            if (end == "elif")
            {
                cond = ParseTuple(withCondexpr: false);
                continue;
            }
            if (end == "else")
            {
                ExpectBlockEnd();
                otherwise = ParseBody(["endif"], out _, tok);
            }
            ExpectBlockEnd();
            break;
        }
        return new IfStmt(branches, otherwise, tok.Line, tok.Col);
    }

    private Stmt ParseFor()
    {
        var tok = t[i++];
        var target = ParseTarget("in", allowNamespace: false);
        ExpectName("in");
        var iter = ParseTuple(withCondexpr: false, endName: "recursive");
        Expr? filter = null;
        if (IsName("if"))
        {
            i++;
            filter = ParseExpression();
        }
        if (IsName("recursive")) throw Error("recursive for loops are not supported");
        ExpectBlockEnd();
        loopDepth++;
        var body = ParseBody(["endfor", "else"], out var end, tok);
        loopDepth--;
        List<Stmt>? otherwise = null;
        if (end == "else")
        {
            ExpectBlockEnd();
            otherwise = ParseBody(["endfor"], out _, tok);
        }
        ExpectBlockEnd();
        return new ForStmt(target, iter, filter, body, otherwise, tok.Line, tok.Col);
    }

    private Target ParseTarget(string? endName, bool allowNamespace)
    {
        var first = Cur;
        var items = new List<Target>();
        bool tuple = false;
        bool parens = SkipOp("(");
        while (true)
        {
            var name = ExpectIdent();
            if (allowNamespace && !parens && items.Count == 0 && IsOp("."))
            {
                i++;
                var attr = ExpectIdent();
                return new Target { Name = name.Text, Attr = attr.Text, Line = name.Line, Col = name.Col };
            }
            if (name.Text is "true" or "false" or "none" or "True" or "False" or "None")
                throw Error($"cannot assign to '{name.Text}'", name);
            items.Add(new Target { Name = name.Text, Line = name.Line, Col = name.Col });
            if (!SkipOp(",")) break;
            tuple = true;
            if ((endName is not null && IsName(endName)) || IsOp("=") || IsOp(")") || Cur.Kind == TokKind.BlockEnd) break;
        }
        if (parens)
        {
            ExpectOp(")");
            tuple = true;
        }
        return tuple ? new Target { Items = items, Line = first.Line, Col = first.Col } : items[0];
    }

    private Stmt ParseSet()
    {
        var tok = t[i++];
        var target = ParseTarget(null, allowNamespace: true);
        if (SkipOp("="))
        {
            var value = ParseTuple();
            ExpectBlockEnd();
            return new SetStmt(target, value, tok.Line, tok.Col);
        }
        Expr? filter = null;
        if (IsOp("|")) filter = ParseFilterChain(new NameExpr(CaptureStmt.Slot, tok.Line, tok.Col));
        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _, tok);
        ExpectBlockEnd();
        return new CaptureStmt(target, filter, body, tok.Line, tok.Col);
    }

    private Stmt ParseFilterBlock()
    {
        var tok = t[i++];
        Expr chain = ParseOneFilter(new NameExpr(CaptureStmt.Slot, tok.Line, tok.Col));
        if (IsOp("|")) chain = ParseFilterChain(chain);
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _, tok);
        ExpectBlockEnd();
        return new CaptureStmt(null, chain, body, tok.Line, tok.Col);
    }

    private Expr ParseFilterChain(Expr input)
    {
        while (SkipOp("|")) input = ParseOneFilter(input);
        return input;
    }

    private (List<string>, List<Expr?>) ParseSignature()
    {
        var names = new List<string>();
        var defaults = new List<Expr?>();
        ExpectOp("(");
        while (!IsOp(")"))
        {
            if (names.Count > 0) ExpectOp(",");
            if (IsOp(")")) break;
            names.Add(ExpectIdent().Text);
            defaults.Add(SkipOp("=") ? ParseExpression() : null);
        }
        ExpectOp(")");
        return (names, defaults);
    }

    private Stmt ParseMacro()
    {
        var tok = t[i++];
        var name = ExpectIdent();
        var (names, defaults) = ParseSignature();
        ExpectBlockEnd();
        int savedLoop = loopDepth;
        loopDepth = 0;
        var body = ParseBody(["endmacro"], out _, tok);
        loopDepth = savedLoop;
        if (Cur.Kind == TokKind.Name) i++;
        ExpectBlockEnd();
        return new MacroStmt(new MacroDef(name.Text, names, defaults, body), tok.Line, tok.Col);
    }

    private Stmt ParseCallBlock()
    {
        var tok = t[i++];
        List<string> names = [];
        List<Expr?> defaults = [];
        if (IsOp("(")) (names, defaults) = ParseSignature();
        var call = ParseExpression();
        if (call is not CallExpr ce) throw Error("expected a call after 'call'", tok);
        ExpectBlockEnd();
        int savedLoop = loopDepth;
        loopDepth = 0;
        var body = ParseBody(["endcall"], out _, tok);
        loopDepth = savedLoop;
        ExpectBlockEnd();
        return new CallBlockStmt(ce, new MacroDef("caller", names, defaults, body), tok.Line, tok.Col);
    }

    // ----------------------------------------------------------------------------------- expressions

    private bool IsTupleEnd(string? endName) =>
        Cur.Kind is TokKind.VarEnd or TokKind.BlockEnd or TokKind.Eof || IsOp(")") || (endName is not null && IsName(endName));

    private Expr ParseTuple(bool withCondexpr = true, string? endName = null, bool explicitParens = false)
    {
        var first = Cur;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) ExpectOp(",");
            if (IsTupleEnd(endName)) break;
            items.Add(withCondexpr ? ParseExpression() : ParseOr());
            if (IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count == 1) return items[0];
            if (!explicitParens) throw Error($"expected an expression, got {Cur}");
        }
        return new ListExpr(items, true, first.Line, first.Col);
    }

    private Expr ParseExpression()
    {
        var e = ParseOr();
        while (IsName("if"))
        {
            var tok = t[i++];
            var cond = ParseOr();
            Expr? otherwise = null;
            if (IsName("else"))
            {
                i++;
                otherwise = ParseExpression();
            }
            e = new CondExpr(cond, e, otherwise, tok.Line, tok.Col);
        }
        return e;
    }

    private Expr ParseOr()
    {
        var l = ParseAnd();
        while (IsName("or"))
        {
            var tok = t[i++];
            l = new AndOrExpr(l, ParseAnd(), false, tok.Line, tok.Col);
        }
        return l;
    }

    private Expr ParseAnd()
    {
        var l = ParseNot();
        while (IsName("and"))
        {
            var tok = t[i++];
            l = new AndOrExpr(l, ParseNot(), true, tok.Line, tok.Col);
        }
        return l;
    }

    private Expr ParseNot()
    {
        if (IsName("not"))
        {
            var tok = t[i++];
            return new NotExpr(ParseNot(), tok.Line, tok.Col);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var first = Cur;
        var e = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Cur.Kind == TokKind.Op && Cur.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                string op = t[i++].Text;
                rest.Add((op, ParseMath1()));
            }
            else if (IsName("in"))
            {
                i++;
                rest.Add(("in", ParseMath1()));
            }
            else if (IsName("not") && Peek().Kind == TokKind.Name && Peek().Text == "in")
            {
                i += 2;
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? e : new CompareExpr(e, rest, first.Line, first.Col);
    }

    private Expr ParseMath1()
    {
        var l = ParseConcat();
        while (Cur.Kind == TokKind.Op && Cur.Text is "+" or "-")
        {
            var tok = t[i++];
            l = new BinExpr(tok.Text, l, ParseConcat(), tok.Line, tok.Col);
        }
        return l;
    }

    private Expr ParseConcat()
    {
        var first = Cur;
        var parts = new List<Expr> { ParseMath2() };
        while (SkipOp("~")) parts.Add(ParseMath2());
        return parts.Count == 1 ? parts[0] : new ConcatExpr(parts, first.Line, first.Col);
    }

    private Expr ParseMath2()
    {
        var l = ParsePow();
        while (Cur.Kind == TokKind.Op && Cur.Text is "*" or "/" or "//" or "%")
        {
            var tok = t[i++];
            l = new BinExpr(tok.Text, l, ParsePow(), tok.Line, tok.Col);
        }
        return l;
    }

    private Expr ParsePow()
    {
        var l = ParseUnary();
        while (IsOp("**"))
        {
            var tok = t[i++];
            l = new BinExpr("**", l, ParseUnary(), tok.Line, tok.Col);
        }
        return l;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var tok = Cur;
        Expr node;
        if (IsOp("-") || IsOp("+"))
        {
            i++;
            node = new NegExpr(ParseUnary(false), tok.Text == "+", tok.Line, tok.Col);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        if (withFilter) node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        var tok = Cur;
        switch (tok.Kind)
        {
            case TokKind.Name:
                i++;
                return tok.Text switch
                {
                    "true" or "True" => new ConstExpr(true, tok.Line, tok.Col),
                    "false" or "False" => new ConstExpr(false, tok.Line, tok.Col),
                    "none" or "None" => new ConstExpr(null, tok.Line, tok.Col),
                    _ => new NameExpr(tok.Text, tok.Line, tok.Col),
                };
            case TokKind.String:
            {
                string s = (string)tok.Value!;
                i++;
                while (Cur.Kind == TokKind.String) s += (string)t[i++].Value!;
                return new ConstExpr(s, tok.Line, tok.Col);
            }
            case TokKind.Int:
            case TokKind.Float:
                i++;
                return new ConstExpr(tok.Value, tok.Line, tok.Col);
            case TokKind.Op when tok.Text == "(":
            {
                i++;
                var e = ParseTuple(explicitParens: true);
                ExpectOp(")");
                return e;
            }
            case TokKind.Op when tok.Text == "[":
            {
                i++;
                var items = new List<Expr>();
                while (!IsOp("]"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("]")) break;
                    items.Add(ParseExpression());
                }
                ExpectOp("]");
                return new ListExpr(items, false, tok.Line, tok.Col);
            }
            case TokKind.Op when tok.Text == "{":
            {
                i++;
                var items = new List<(Expr, Expr)>();
                while (!IsOp("}"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("}")) break;
                    var k = ParseExpression();
                    ExpectOp(":");
                    items.Add((k, ParseExpression()));
                }
                ExpectOp("}");
                return new DictExpr(items, tok.Line, tok.Col);
            }
            default:
                throw Error($"unexpected {tok}");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var tok = Cur;
            if (IsOp("."))
            {
                i++;
                var a = Cur;
                if (a.Kind == TokKind.Name) { i++; node = new AttrExpr(node, a.Text, node.Line, node.Col); }
                else if (a.Kind == TokKind.Int) { i++; node = new ItemExpr(node, new ConstExpr(a.Value, a.Line, a.Col), node.Line, node.Col); }
                else throw Error($"expected an attribute name after '.', got {a}");
            }
            else if (IsOp("["))
            {
                i++;
                node = ParseSubscript(node, tok);
            }
            else if (IsOp("("))
            {
                node = ParseCall(node);
            }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node, Token tok)
    {
        Expr? start = null, stop = null, step = null;
        bool isSlice = false;
        if (!IsOp(":")) start = ParseExpression();
        if (SkipOp(":"))
        {
            isSlice = true;
            if (!IsOp("]") && !IsOp(":")) stop = ParseExpression();
            if (SkipOp(":") && !IsOp("]")) step = ParseExpression();
        }
        ExpectOp("]");
        if (isSlice) return new SliceExpr(node, start, stop, step, node.Line, node.Col);
        return new ItemExpr(node, start!, node.Line, node.Col);
    }

    private ArgList ParseArgs()
    {
        ExpectOp("(");
        var args = new ArgList();
        while (!IsOp(")"))
        {
            if (args.Pos.Count + args.Kw.Count > 0) ExpectOp(",");
            if (IsOp(")")) break;
            if (IsOp("*") || IsOp("**")) throw Error("'*' and '**' arguments are not supported");
            if (Cur.Kind == TokKind.Name && Peek().Kind == TokKind.Op && Peek().Text == "=")
            {
                string name = t[i].Text;
                i += 2;
                args.Kw.Add((name, ParseExpression()));
            }
            else
            {
                if (args.Kw.Count > 0) throw Error("positional argument follows keyword argument");
                args.Pos.Add(ParseExpression());
            }
        }
        ExpectOp(")");
        return args;
    }

    private Expr ParseCall(Expr fn)
    {
        return new CallExpr(fn, ParseArgs(), fn.Line, fn.Col);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (IsOp("|"))
            {
                i++;
                node = ParseOneFilter(node);
            }
            else if (IsName("is")) node = ParseTest(node);
            else if (IsOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    private string ParseDottedName()
    {
        string name = ExpectIdent().Text;
        while (IsOp(".") && Peek().Kind == TokKind.Name)
        {
            i++;
            name += "." + t[i++].Text;
        }
        return name;
    }

    private Expr ParseOneFilter(Expr input)
    {
        var tok = Cur;
        string name = ParseDottedName();
        var args = IsOp("(") ? ParseArgs() : new ArgList();
        return new FilterExpr(input, name, args, tok.Line, tok.Col);
    }

    private Expr ParseTest(Expr node)
    {
        var isTok = t[i++];
        bool negated = false;
        if (IsName("not"))
        {
            i++;
            negated = true;
        }
        string name = ParseDottedName();
        ArgList args;
        if (IsOp("(")) args = ParseArgs();
        else if ((Cur.Kind is TokKind.Name or TokKind.String or TokKind.Int or TokKind.Float || IsOp("[") || IsOp("{"))
                 && !(Cur.Kind == TokKind.Name && Cur.Text is "else" or "or" or "and" or "if" or "is"))
        {
            args = new ArgList();
            args.Pos.Add(ParsePostfix(ParsePrimary()));
        }
        else args = new ArgList();
        return new TestExpr(node, name, args, negated, isTok.Line, isTok.Col);
    }
}
