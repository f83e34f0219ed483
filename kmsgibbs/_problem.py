"""The user's problem from the command line: the model (built-in on a lattice, or a file), the
master-equation family with its parameters, and the bath; and the Lindbladian they describe.

Every option that belongs to another family or bath defaults to None, so that giving it is refused
(exit 2, naming the option, its value and what it applies to) rather than silently ignored; the
resolve functions then fill in the defaults, which the JSON reports record.
"""

from __future__ import annotations

import argparse

from ._options import BadInput, positive_float, positive_int

MODELS = ("tfim", "heisenberg", "random")
MAX_SITES = 1000
#: The families a command-line scheme lowers (Davies, the T → ∞ secular limit, has no circuit
#: lowering: it is built in Python with ``kmsgibbs.compiler.davies`` for exact references only).
FAMILIES = ("kms", "coarse-grained", "dll", "ckg")
BATHS = ("gaussian", "gaussian-for-beta", "ohmic")
#: The families each scheme lowers (compiler/schemes/compile.py): the exactly-KMS ones become dilation
#: steps or randomized circuits; the coarse-grained equation is realised by the emulated bath qubit.
SCHEME_FAMILIES = {
    "trotter_dilation": ("kms", "dll", "ckg"),
    "randomized": ("kms", "dll", "ckg"),
    "bath_emulation": ("coarse-grained",),
}
#: Family options: the families each applies to, and its default there.
_FAMILY_OPTIONS = {
    "coarse_graining_time": (("kms", "coarse-grained"), 1.0),
    "bath": (("kms", "coarse-grained"), "gaussian"),
    "dll_filter": (("dll",), "gaussian"),
    "ckg_weight": (("ckg",), "metropolis"),
    "sigma_e": (("ckg",), None),  # 1/β, filled in by _resolve_ckg
    "sigma_gamma": (("ckg",), None),  # σ_E, gaussian weight only
}
#: Bath options: the bath each applies to, and its default (the classes' own defaults, but width 2).
_BATH_OPTIONS = {
    "bath_width": ("gaussian", 2.0),
    "bath_strength": ("gaussian", 1.0),
    "bath_peak_frequency": ("gaussian-for-beta", 1.25),
    "bath_peak_rate": ("gaussian-for-beta", 1.0),
    "bath_eta": ("ohmic", 0.1),
    "bath_cutoff": ("ohmic", 5.0),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_system_options(g: argparse._ArgumentGroup, *, n_default: int | None) -> None:
    """--model/--n/--couplings/--lattice or --model-file: the options a model file replaces default to
    None here (filled in by ``resolve_model``), so that giving one beside a file is refused, never ignored."""
    g.add_argument("--model", choices=MODELS, default=None, help="Hamiltonian (default: tfim)")
    g.add_argument(
        "--n", type=positive_int("--n", MAX_SITES), default=None, help=f"number of spins (default: {n_default})"
    )
    g.add_argument("--couplings", default=None, help="Paulis coupled to the bath on every site (default: XZ)")
    g.add_argument(
        "--model-file", metavar="F", default=None,
        help='your own model, JSON: {"num_qubits": n, "hamiltonian": [["ZZ", [0, 1], -1.0], ...], '
        '"couplings": [[["X", [0], 1.0]], ...]} (terms as in SparsePauliOp.from_sparse_list; one list per '
        "coupling operator); replaces --model, --n, --couplings and --lattice",
    )
    g.add_argument(
        "--lattice", default=None,
        help="the built-in model's graph: chain (default), ring, or LxW (an L×W square lattice, n = L·W)",
    )
    g.set_defaults(n_default=n_default)


def add_bath_options(g: argparse._ArgumentGroup, *, default: str = "gaussian") -> None:
    """--bath and its parameters (each refused with another bath); ``default`` describes the default bath."""
    g.add_argument(
        "--bath", choices=BATHS, default=None,
        help=f"the bath of --family kms and coarse-grained (default: {default}): gaussian Ĉ(ω) = κ e^{{βω/2 − ω²/(2s²)}}; "
        "gaussian-for-beta, the Gaussian bath whose rates peak at ω₀ with height r at every β "
        "(GaussianBath.for_beta: the choice at low temperature); ohmic Ĉ(ω) = 2πηω e^{−|ω|/ω_c}/(1 − e^{−βω})",
    )
    g.add_argument("--bath-width", type=positive_float("--bath-width"), default=None, help="gaussian: width s (default: 2)")
    g.add_argument("--bath-strength", type=positive_float("--bath-strength"), default=None, help="gaussian: strength κ (default: 1)")
    g.add_argument(
        "--bath-peak-frequency", type=positive_float("--bath-peak-frequency"), default=None,
        help="gaussian-for-beta: ω₀, where the rates peak, about the system's gap (default: 1.25)",
    )
    g.add_argument("--bath-peak-rate", type=positive_float("--bath-peak-rate"), default=None, help="gaussian-for-beta: r = max Ĉ (default: 1)")
    g.add_argument("--bath-eta", type=positive_float("--bath-eta"), default=None, help="ohmic: coupling strength η (default: 0.1)")
    g.add_argument("--bath-cutoff", type=positive_float("--bath-cutoff"), default=None, help="ohmic: cut-off frequency ω_c (default: 5)")


def add_family_options(g: argparse._ArgumentGroup) -> None:
    """--family with its parameters, and the bath (each refused with a family it does not belong to)."""
    g.add_argument(
        "--family", choices=FAMILIES, default="kms",
        help="master equation (default: kms): kms, Scandi–Alhambra form='kms' (exactly KMS, a bath); coarse-grained, "
        "Scandi–Alhambra form='coarse_grained' with its Lamb shift (approximately KMS, a bath; lowered by "
        "--scheme bath_emulation only); dll, Ding–Li–Lin; ckg, Chen–Kastoryano–Gilyén",
    )
    g.add_argument(
        "--coarse-graining-time", type=positive_float("--coarse-graining-time", allow_zero=True), default=None,
        help="kms and coarse-grained: T (default: 1; > 0 for coarse-grained)",
    )
    g.add_argument("--coupling", type=positive_float("--coupling"), default=0.5, help="system–bath coupling α, every family (default: 0.5)")
    add_bath_options(g)
    g.add_argument(
        "--dll-filter", choices=("gaussian", "metropolis"), default=None,
        help="dll: the filter q(ν), gaussian e^{−β²ν²/8} or metropolis e^{−√(1+β²ν²)/4} (default: gaussian)",
    )
    g.add_argument("--ckg-weight", choices=("metropolis", "gaussian"), default=None, help="ckg: the weight γ(ω) (default: metropolis)")
    g.add_argument("--sigma-e", type=positive_float("--sigma-e"), default=None, help="ckg: energy resolution σ_E (default: 1/β)")
    g.add_argument(
        "--sigma-gamma", type=positive_float("--sigma-gamma"), default=None,
        help="ckg with --ckg-weight gaussian: the weight's width σ_γ (default: σ_E)",
    )


def _given(args: argparse.Namespace, name: str) -> str:
    """The option as the user wrote it (``--bath-width 3``, not ``3.0``)."""
    value = getattr(args, name)
    return f"{_flag(name)} {value:g}" if isinstance(value, float) else f"{_flag(name)} {value}"


def resolve_family(args: argparse.Namespace) -> None:
    """Refuse options of another family or bath (exit 2, naming them), then fill in the defaults."""
    family = args.family
    for name, (families, default) in _FAMILY_OPTIONS.items():
        if getattr(args, name) is None:
            if family in families:
                setattr(args, name, default)
        elif family not in families:
            owners = " and ".join(families)
            raise BadInput(f"{_given(args, name)} applies to --family {owners}, not --family {family}")
    if family == "coarse-grained" and args.coarse_graining_time == 0:
        raise BadInput("--coarse-graining-time 0: the coarse-grained family needs T > 0")
    if family == "ckg":
        _resolve_ckg(args)
    resolve_bath(args, family=family)


def _resolve_ckg(args: argparse.Namespace) -> None:
    if args.sigma_gamma is not None and args.ckg_weight != "gaussian":
        raise BadInput(f"{_given(args, 'sigma_gamma')} applies to --ckg-weight gaussian, not --ckg-weight {args.ckg_weight}")
    args.sigma_e = 1.0 / args.beta if args.sigma_e is None else args.sigma_e
    if args.ckg_weight == "gaussian" and args.sigma_gamma is None:
        args.sigma_gamma = args.sigma_e


def resolve_bath(args: argparse.Namespace, *, family: str | None) -> None:
    """Refuse bath options of another bath (or of a family without one); fill in the chosen bath's defaults.

    ``family=None`` (``design``): no bath option given leaves ``args.bath`` None, the design's own choice.
    """
    given = [name for name in _BATH_OPTIONS if getattr(args, name) is not None]
    if family is not None and args.bath is None:
        if given:
            raise BadInput(f"{_given(args, given[0])} applies to --family kms and coarse-grained (a bath), not --family {family}")
        return
    if args.bath is None and given:
        args.bath = "gaussian"
    for name in given:
        owner = _BATH_OPTIONS[name][0]
        if owner != args.bath:
            raise BadInput(f"{_given(args, name)} applies to --bath {owner}, not --bath {args.bath}")
    for name, (owner, default) in _BATH_OPTIONS.items():
        if owner == args.bath and getattr(args, name) is None:
            setattr(args, name, default)


#: The schemes each command runs (its --scheme choices).
COMMAND_SCHEMES = {
    "verify": ("trotter_dilation", "randomized"),
    "compile": tuple(SCHEME_FAMILIES),
    "resources": tuple(SCHEME_FAMILIES),
}


def check_scheme(args: argparse.Namespace, scheme: str, *, command: str) -> None:
    """Refuse a family the scheme cannot lower (exit 2), naming the schemes (or the command) that can."""
    if args.family in SCHEME_FAMILIES[scheme]:
        return
    able = [s for s in COMMAND_SCHEMES[command] if args.family in SCHEME_FAMILIES[s]]
    if able:
        hint = f"use --scheme {' or '.join(able)}"
    else:  # verify of the coarse-grained family: only the bath emulation lowers it, which verify does not run
        hint = (
            f"{command} runs {' and '.join(COMMAND_SCHEMES[command])} circuits only; price it with `kmsgibbs resources "
            f"--family {args.family} --scheme bath_emulation`, write its circuits with `kmsgibbs compile --family "
            f"{args.family} --scheme bath_emulation`"
        )
    raise BadInput(
        f"--family {args.family} cannot be lowered by the {scheme} scheme (it lowers "
        f"{', '.join(SCHEME_FAMILIES[scheme])}); {hint}"
    )


def bath(args: argparse.Namespace):
    """The bath the options describe (``None`` when none was chosen: the design picks its own)."""
    from kmsgibbs.compiler import GaussianBath, OhmicBath

    if args.bath is None:
        return None
    if args.bath == "gaussian":
        return GaussianBath(args.beta, width=args.bath_width, strength=args.bath_strength)
    if args.bath == "gaussian-for-beta":
        return GaussianBath.for_beta(args.beta, peak_frequency=args.bath_peak_frequency, peak_rate=args.bath_peak_rate)
    return OhmicBath(args.beta, eta=args.bath_eta, cutoff=args.bath_cutoff)


def describe(args: argparse.Namespace) -> str:
    """The family and its parameters in a few words (the report's label)."""
    if args.family in ("dll", "ckg"):
        what = args.dll_filter if args.family == "dll" else f"{args.ckg_weight}, sigma_e={args.sigma_e:g}"
        return f"{args.family}({what})"
    return f"{args.family} T={args.coarse_graining_time:g} {args.bath} bath"


def generator(args: argparse.Namespace, hamiltonian, couplings):
    """The Lindbladian of the family options for ``hamiltonian`` and ``couplings`` (resolved options)."""
    from kmsgibbs.compiler import ckg, dll, scandi_alhambra

    if args.family == "dll":
        return dll(hamiltonian, couplings, args.beta, filter=args.dll_filter, coupling=args.coupling)
    if args.family == "ckg":
        return ckg(
            hamiltonian, couplings, args.beta, sigma_e=args.sigma_e, weight=args.ckg_weight,
            sigma_gamma=args.sigma_gamma, coupling=args.coupling,
        )
    form = "kms" if args.family == "kms" else "coarse_grained"
    return scandi_alhambra(
        hamiltonian, couplings, bath(args), coarse_graining_time=args.coarse_graining_time, coupling=args.coupling, form=form
    )


def _lattice(args: argparse.Namespace) -> None:
    """args.edges (None: the chain) from --lattice, fixing args.n for an L×W lattice."""
    from kmsgibbs.compiler import models

    args.edges = None
    lattice = args.lattice
    if lattice in (None, "chain"):
        return
    if lattice == "ring":
        if args.n is None:
            raise BadInput("--lattice ring needs --n")
        args.edges = models.chain_edges(args.n, periodic=True)
        return
    rows, _, cols = lattice.lower().partition("x")
    if not (rows.isdigit() and cols.isdigit() and int(rows) >= 1 and int(cols) >= 1):
        raise BadInput(f"--lattice must be chain, ring or LxW (e.g. 3x3), got {lattice!r}")
    n = int(rows) * int(cols)
    if args.n is not None and args.n != n:
        raise BadInput(f"--n {args.n} does not match --lattice {lattice} ({n} sites)")
    if n > MAX_SITES:
        raise BadInput(f"--lattice {lattice} has {n} sites, more than {MAX_SITES}")
    args.n, args.edges = n, models.square_lattice_edges(int(rows), int(cols))


def resolve_model(args: argparse.Namespace) -> None:
    """Read --model-file (exit 2 naming the file and field), or fill in the built-in model's defaults."""
    if args.model_file is None:
        _lattice(args)
        args.model = "tfim" if args.model is None else args.model
        args.couplings = "XZ" if args.couplings is None else args.couplings
        args.n = args.n_default if args.n is None else args.n
        args.own_model = None
        return
    args.edges = None
    given = [name for name in ("model", "n", "couplings", "lattice") if getattr(args, name) is not None]
    if given:
        raise BadInput(f"--{given[0]} does not apply with --model-file (the file gives the model, its size and couplings)")
    from kmsgibbs.compiler import load_model

    args.own_model = load_model(args.model_file)
    args.model, args.n, args.couplings = "model-file", args.own_model.num_qubits, "file"


def hamiltonian(model: str, n: int, edges, seed: int):
    """The built-in model on ``edges`` (None: the open chain of n sites)."""
    from kmsgibbs.compiler import models

    edges = models.chain_edges(n) if edges is None else edges
    if model == "tfim":
        return models.from_edges(n, edges, couplings={"ZZ": -1.0}, fields={"X": -1.0})
    if model == "heisenberg":
        # a staggered z field: with a uniform one, XYZ couplings leave the KMS coherent term zero
        staggered = [0.3 * (-1) ** i for i in range(n)]
        return models.from_edges(n, edges, couplings={"XX": 1.0, "YY": 1.0, "ZZ": 1.0}, fields={"X": 0.4, "Z": staggered})
    return models.random_two_local(n, seed=seed, edges=edges)


def system(args: argparse.Namespace, n: int, edges):
    """(H, couplings) of the model options: the file's, or the built-in model on n sites and ``edges``."""
    from kmsgibbs.compiler import models

    if args.own_model is not None:
        return args.own_model.hamiltonian, args.own_model.couplings
    try:
        couplings = models.single_site_couplings(n, args.couplings)
    except ValueError as exc:
        raise BadInput(f"--couplings: {exc}") from None
    return hamiltonian(args.model, n, edges, args.seed), couplings
