"""Training code as programs (issue 14): losses, optimizer updates and whole training steps.

``loss`` returns a scalar (cross-entropy with integer or one-hot labels, MSE, Huber, sigmoid
binary cross-entropy, each sometimes with an L2 penalty), now and then with its predictions;
``optimizer`` returns an updated parameter (SGD, momentum, Adam from optax's zero-initialized
moments, each sometimes after clipping by global norm or with a warm-up learning rate), or a
whole parameter tree updated by ``jax.tree_util.tree_map``, now and then with the new state;
``train_step`` returns the parameter after one step of ``jax.value_and_grad`` of a loss, or a
whole parameter tree after a step along the gradient of a loss over the tree, now and then
with the loss.
"""
from __future__ import annotations

from .models import _batch_leading, _dim, activation, dense
from .ops import DTypeName, StaticDim, Subscripts
from .params import TREE_NAME
from .pieces import arg_fits, draw_float_dtype, draw_shape, fitted_shape, unary
from .types import ValueType
from .walk import Walk

LOSS_FORMS = ("labels", "labels", "one_hot", "mse", "mse", "huber", "bce")


def _mean(w: Walk, value):
    """``jnp.mean(x)`` or ``x.mean()``: the mean of every element."""
    return w.apply_plain(w.chooser.choice(("mean", "mean_method")), value) if value.vtype.rank else value


def _predictions(w: Walk, dtype: str, features: int):
    """What a loss compares: a new argument, or the output of a dense layer of one."""
    if w.chooser.chance(0.7) and w.settings.max_rank >= 2:
        x = _batch_leading(w, _dim(w, 2), dtype, extra=False)
        return w.let(dense(w, x, features))
    return _batch_leading(w, features, dtype, extra=False, role="logits")


def loss_value(w: Walk, predictions, form: str, bind=None):
    """The scalar loss of ``predictions`` (logits or regression outputs) against new target
    arguments, in the form ``form`` (one of LOSS_FORMS). ``bind`` binds intermediate values
    (``w.let``); inside a lambda, where no statement may go, it is the identity."""
    bind = w.let if bind is None else bind
    dtype, shape = predictions.vtype.dtype, predictions.vtype.shape
    if form in ("labels", "one_hot") and (not w.settings.allows_int or not shape or shape[-1] < 2):
        form = "mse"
    if form in ("labels", "one_hot"):
        classes = shape[-1]
        name = w.name_of(predictions)
        classes = StaticDim(classes, name, -1) if name is not None else classes
        log_probs = bind(w.apply("log_softmax", predictions, axis=-1))
        labels = w.arg(ValueType(shape[:-1], "int32"), "labels")
        if form == "one_hot":
            count = classes if w.chooser.chance(0.5) else int(classes)
            targets = bind(w.apply("one_hot", labels, num_classes=count))
            per_example = w.apply("sum", w.apply("multiply", targets, log_probs), axis=-1)
        else:  # labels kept in range, as a data pipeline guarantees: out-of-range ones read NaN
            in_range = w.apply("int_remainder_operator", labels, classes)
            picked = w.apply("take_along_axis", log_probs,
                             w.apply("expand_dims", in_range, axis=len(shape) - 1), axis=-1)
            per_example = bind(picked)
        return w.apply("negative", _masked_mean(w, per_example, bind))
    target = w.arg(ValueType(shape, dtype), "targets")
    if form == "bce":
        if w.chooser.chance(0.5):
            positive = w.apply("multiply", target, w.apply("log_sigmoid", predictions))
            negative = w.apply("multiply", w.apply("subtract", 1.0, target),
                               w.apply("log_sigmoid", w.apply("negative", predictions)))
            return w.apply("negative", _mean(w, bind(w.apply("add", positive, negative))))
        margin = w.apply("subtract", w.apply("maximum", predictions, 0.0), w.apply("multiply", predictions, target))
        soft = w.apply("log1p", w.apply("exp", w.apply("negative", w.apply("abs", predictions))))
        return _mean(w, bind(w.apply("add", margin, soft)))
    error = bind(w.apply("subtract", predictions, target))
    if form == "huber":
        delta = w.chooser.choice((1.0, 0.5, 2.0))
        size = bind(w.apply("abs", error))
        quadratic = w.apply("multiply", 0.5, w.apply("square", error))
        linear = w.apply("multiply", delta, w.apply("subtract", size, 0.5 * delta))
        return _mean(w, bind(w.apply("where", w.apply("less_equal", size, delta), quadratic, linear)))
    return _mean(w, bind(w.apply("square", error)))  # per-element losses, then their mean


def _masked_mean(w: Walk, per_example, bind):
    """The mean of ``per_example``, or, now and then, its mean weighted by a mask argument (which
    keeps real examples and drops padding): ``jnp.sum(l * m) / jnp.maximum(jnp.sum(m), 1.0)``."""
    if not per_example.vtype.rank or not w.chooser.chance(0.3):
        return _mean(w, per_example)
    mask = w.arg(per_example.vtype, "mask")  # weights per example (1.0 for a real one, 0.0 for padding)
    total = w.apply_plain("sum", w.apply("multiply", per_example, mask))
    return w.apply("divide", total, w.apply("maximum", w.apply_plain("sum", mask), 1.0))


def loss(w: Walk):
    """A loss of predictions against targets, an L2 penalty added now and then; now and then
    returned with the predictions, as a loss with ``has_aux=True`` returns ``loss, logits``."""
    dtype = draw_float_dtype(w)
    form = w.chooser.choice(LOSS_FORMS)
    predictions = _predictions(w, dtype, _dim(w, 2))
    value = w.let(loss_value(w, predictions, form))
    if w.chooser.chance(0.35):  # weight decay: an L2 penalty on a parameter
        weight = w.arg(ValueType(draw_shape(w, min_rank=1, max_rank=2), dtype), "w")
        penalty = w.apply_plain("sum", w.apply("square", weight))
        value = w.apply("add", value, w.apply("multiply", w.chooser.choice((1e-4, 1e-3, 0.5)), penalty))
    if w.chooser.chance(0.25):
        return w.results(value, predictions)
    return value


def _learning_rate(w: Walk):
    """A constant learning rate, or a linear warm-up by an int32 step count argument:
    ``0.1 * jnp.minimum(1.0, (t + 1) / 100.0)``."""
    rate = w.chooser.choice((1e-3, 1e-2, 0.1))
    if not w.settings.allows_int or not w.chooser.chance(0.3):
        return rate
    steps = w.apply("astype", w.arg(ValueType((), "int32"), "step"), dtype=DTypeName("float32"))
    warmup = w.apply("minimum", 1.0, w.apply("divide", w.apply("add", steps, 1.0), w.chooser.choice((100.0, 10.0))))
    return w.let(w.apply("multiply", rate, warmup))


def _clipped(w: Walk, grad):
    """``g * jnp.minimum(1.0, max_norm / (jnp.linalg.norm(g) + 1e-6))``: clipping by global norm."""
    total = w.let(w.apply_plain("norm", grad))
    eps = 1e-2 if grad.vtype.dtype == "float16" else 1e-6
    factor = w.apply("minimum", 1.0, w.apply("divide", w.chooser.choice((1.0, 0.5, 5.0)), w.apply("add", total, eps)))
    return w.let(w.apply("multiply", grad, factor))


def optimizer(w: Walk):
    """One optimizer update of a parameter ``param`` by its gradient ``grad``; half the time
    with the optimizer's new state beside it, as optax's ``update`` returns both: ``return
    new_param, velocity`` or ``return new_param, {'mu': mu, 'nu': nu}``. Now and then the
    update of a whole parameter tree by a gradient tree, leaf by leaf (`tree_update`)."""
    dtype = draw_float_dtype(w)
    if w.settings.max_rank >= 2 and w.arguments_left() >= 12 and w.chooser.chance(0.4):
        return tree_update(w, dtype)
    shape = draw_shape(w, min_rank=1)
    param, grad = w.arg(ValueType(shape, dtype), "param"), w.arg(ValueType(shape, dtype), "grad")
    new, state = update(w, param, grad)
    if not state or not w.chooser.chance(0.5):
        return new
    if len(state) == 1:
        return w.results(new, state[0][1])
    return w.results(new, w.results(*(value for _, value in state), keys=tuple(key for key, _ in state)))


TREE_LAYOUTS = ("dense", "dense", "mlp", "flax")


def _tree_layout(w: Walk, dtype: str, inputs: int | None = None) -> dict:
    """The leaves of a parameter tree, path -> type: a dense layer's ``{'b', 'w'}``, an MLP's
    list of two of them, or Flax's ``{'Dense_0': {'bias', 'kernel'}}``; the first layer takes
    ``inputs`` features where given."""
    layout = w.chooser.choice(TREE_LAYOUTS)
    widths = [_dim(w, 2) for _ in range(3 if layout == "mlp" else 2)]
    if inputs is not None:
        widths[0] = inputs
    for k in range(len(widths) - 1):
        while widths[k + 1] > 1 and not arg_fits(w, (widths[k], widths[k + 1])):
            widths[k + 1] //= 2
    layers = [(ValueType((o,), dtype), ValueType((i, o), dtype)) for i, o in zip(widths, widths[1:])]
    if layout == "flax":
        return {("Dense_0", "bias"): layers[0][0], ("Dense_0", "kernel"): layers[0][1]}
    if layout == "dense":
        return {("b",): layers[0][0], ("w",): layers[0][1]}
    return {(k, key): vtype for k, layer in enumerate(layers) for key, vtype in zip(("b", "w"), layer)}


def _clipped_tree(w: Walk, grads, mapped):
    """``optax.clip_by_global_norm`` written out: the norm of every leaf of the gradient tree
    together, ``jnp.sqrt(jnp.sum(jnp.square(grads['b'])) + ... + 1e-06)``, then the tree scaled by
    ``jnp.minimum(1.0, max_norm / (norm + 1e-6))`` (float32 trees: the factor is float32)."""
    total = None
    for path in grads.paths:
        term = w.apply_plain("sum", w.apply("square", w.tree_leaf(grads, path)))
        total = term if total is None else w.apply("add", total, term)
    norm = w.let(w.apply("sqrt", w.apply("add", total, 1e-6)))  # eps inside: sqrt's gradient at 0 is inf
    limit = w.chooser.choice((1.0, 0.5, 5.0))
    factor = w.let(w.apply("minimum", 1.0, w.apply("divide", limit, w.apply("add", norm, 1e-6))))
    return mapped(lambda g: w.apply("multiply", g, factor), grads, hints=("g",))


def tree_update(w: Walk, dtype: str):
    """An optimizer step over a whole parameter tree, as optax and Flax training loops write it:
    ``jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)``, returned now and then
    with the optimizer's new state (`_tree_step`)."""
    leaves = _tree_layout(w, dtype)
    params, grads = w.tree(TREE_NAME, leaves), w.tree("grads", leaves)
    new, state = _tree_step(w, dtype, leaves, params, grads)
    return w.results(new, state) if state is not None and w.chooser.chance(0.5) else new


def _tree_step(w: Walk, dtype: str, leaves: dict, params, grads, leaves_readable: bool = True):
    """``params`` after one step along the gradient tree ``grads``: SGD, with a velocity tree
    (momentum), or Adam's first step from zero moments, ``mu`` and ``nu`` mapped from the
    gradients; now and then after clipping by global norm (which reads ``grads`` leaf by leaf:
    only where ``leaves_readable``, a tree argument) and weight decay. Returns the new
    tree and the optimizer's new state (the velocity tree, Adam's ``{'mu', 'nu'}``, or None)."""
    spelling = w.chooser.choice(("jax.tree_util.tree_map", "jax.tree.map"))

    def mapped(body, *trees, hints: tuple[str, ...], signs=()):
        return w.tree_map(body, *trees, spelling=spelling, hints=hints, signs=signs)

    if dtype == "float32" and leaves_readable and w.chooser.chance(0.3):
        grads = _clipped_tree(w, grads, mapped)
    if w.chooser.chance(0.25):  # weight decay added to the gradients, as optax.add_decayed_weights does
        decay = w.chooser.choice((1e-4, 1e-2))
        grads = mapped(lambda g, p: w.apply("add", g, w.apply("multiply", decay, p)), grads, params,
                       hints=("g", "p"))
    rate = w.chooser.choice((1e-3, 1e-2, 0.1))
    form = w.chooser.choice(("sgd", "momentum", "adam", "adam"))
    if form == "sgd":
        return mapped(lambda p, g: w.apply("subtract", p, w.apply("multiply", rate, g)), params, grads,
                      hints=("p", "g")), None
    if form == "momentum":
        beta = w.chooser.choice((0.9, 0.99))
        velocity = mapped(lambda m, g: w.apply("add", w.apply("multiply", beta, m), g),
                          w.tree("velocity", leaves), grads, hints=("m", "g"))  # optax's `trace`
        new = mapped(lambda p, m: w.apply("subtract", p, w.apply("multiply", rate, m)), params, velocity,
                     hints=("p", "m"))
        return new, velocity
    mu = mapped(lambda g: w.apply("multiply", 0.1, g), grads, hints=("g",))
    nu = mapped(lambda g: w.apply("multiply", 0.001, w.apply("square", g)), grads, hints=("g",))
    floor = 1e-2 if dtype == "float16" else 1e-6
    corrected = w.chooser.chance(0.6)  # bias-corrected at step one, as _adam_direction is

    def step(p, m, v):
        if corrected:
            m, v = w.apply("divide", m, 0.1), w.apply("multiply", v, 1000.0)
        direction = w.apply("divide", m, w.apply("add", w.apply("sqrt", w.apply("add", v, floor)), floor))
        return w.apply("subtract", p, w.apply("multiply", rate, direction))

    new = mapped(step, params, mu, nu, hints=("p", "mu", "nu"), signs=("", "", "nonnegative"))
    return new, w.results(mu, nu, keys=("mu", "nu"))


def update(w: Walk, param, grad):
    """``param`` after one optimizer step along ``grad``: clipped now and then, with weight decay
    now and then, by SGD, momentum (a velocity argument; Nesterov sometimes) or Adam. Returns it
    and the optimizer's new state, as (key, value) pairs: none for SGD, the velocity for
    momentum, Adam's moments ``mu`` and ``nu``."""
    shape, dtype = param.vtype.shape, param.vtype.dtype
    if shape and w.chooser.chance(0.3):
        grad = _clipped(w, grad)
    if w.chooser.chance(0.25):  # weight decay added to the gradient
        grad = w.let(w.apply("add", grad, w.apply("multiply", w.chooser.choice((1e-4, 1e-2)), param)))
    rate = _learning_rate(w)
    form = w.chooser.choice(("sgd", "momentum", "momentum", "adam", "adam"))
    state = ()
    if form == "momentum":
        beta = w.chooser.choice((0.9, 0.99))
        velocity = w.let(w.apply("add", w.apply("multiply", beta, w.arg(ValueType(shape, dtype), "velocity")), grad))
        step = velocity if w.chooser.chance(0.6) else w.apply("add", grad, w.apply("multiply", beta, velocity))  # Nesterov
        state = (("velocity", velocity),)
    elif form == "adam":
        step, state = _adam_direction(w, param, grad)
    else:
        step = grad
    if step is not grad and w.chooser.chance(0.6):
        step = w.let(step)  # the update direction, named as optax's `updates`
    return w.apply("subtract", param, w.apply("multiply", rate, step)), state


def _adam_direction(w: Walk, param, grad):
    """Adam's first step from optax's zero-initialized moments: ``mu = 0.9 * jnp.zeros_like(p)
    + 0.1 * g``, ``nu`` likewise of ``g ** 2``, bias-corrected or not, then ``mu_hat / (jnp.sqrt(nu_hat
    + eps_root) + eps)``."""
    mu = w.let(w.apply("zeros_like", param))
    nu = w.let(w.apply("zeros_like", param))
    mu = w.let(w.apply("add", w.apply("multiply", 0.9, mu), w.apply("multiply", 0.1, grad)))
    nu = w.let(w.apply("add", w.apply("multiply", 0.999, nu), w.apply("multiply", 0.001, w.apply("square", grad))))
    if w.chooser.chance(0.6):  # bias-corrected at step one: / (1 - 0.9) and * 1 / (1 - 0.999)
        mu_hat, nu_hat = w.apply("divide", mu, 0.1), w.let(w.apply("multiply", nu, 1000.0))
    else:
        mu_hat, nu_hat = mu, nu
    floor = 1e-2 if grad.vtype.dtype == "float16" else 1e-6
    direction = w.apply("divide", mu_hat, w.apply("add", w.apply("sqrt", w.apply("add", nu_hat, floor)), floor))
    return direction, (("mu", mu), ("nu", nu))


def train_step(w: Walk):
    """``loss, g = jax.value_and_grad(lambda p: loss(p, x, y))(w)`` then ``w - lr * g``: a
    training step of a linear model (or one layer) as one function, returning the new weights,
    half the time with the loss (``return loss, w``); half the time a step over a whole parameter
    tree (`tree_train_step`)."""
    dtype = draw_float_dtype(w)
    if w.settings.max_rank >= 2 and w.arguments_left() >= 12 and w.chooser.chance(0.5):
        return tree_train_step(w, dtype)
    if w.settings.max_rank < 2:
        weight = w.arg(ValueType(fitted_shape(w, [_dim(w)]), dtype), "w")
        target = w.arg(ValueType(weight.vtype.shape, dtype), "y")
        function = w.function((("p", weight.vtype),), lambda p: _mean(w, w.apply("square", w.apply("subtract", p, target))))
        _, grad = w.let(w.apply("value_and_grad_call", function, weight))
        return w.apply("subtract", weight, w.apply("multiply", 0.1, grad))
    inputs, outputs = _dim(w, 2), _dim(w, 1)
    x = _batch_leading(w, inputs, dtype, extra=False)
    inputs = x.vtype.shape[-1]
    while outputs > 1 and not arg_fits(w, (inputs, outputs)):
        outputs //= 2
    weight = w.arg(ValueType(fitted_shape(w, [inputs, outputs]), dtype), "w")
    form = w.chooser.choice(LOSS_FORMS)

    def objective(p):
        logits = w.apply("matmul_operator", x, p)
        if w.chooser.chance(0.3):
            logits = unary(w, logits)
        return loss_value(w, logits, form, bind=lambda value: value)
    function = w.function((("p", weight.vtype),), objective)
    total, grad = w.let(w.apply("value_and_grad_call", function, weight))
    new, _ = update(w, weight, grad)
    if w.chooser.chance(0.5):  # the loss beside the new parameters, as a training loop logs it
        return w.results(total, new) if w.chooser.chance(0.6) else w.results(new, total)
    return new


def tree_train_step(w: Walk, dtype: str):
    """A training step over a whole parameter tree, as Flax and optax code writes one:
    ``loss, grads = jax.value_and_grad(lambda p: loss_fn(model(p, x), y))(params)`` (or
    ``jax.grad``), then ``params`` updated by the gradient tree leaf by leaf (`_tree_step`), and
    the new tree returned, now and then with the loss (``return loss, new``) or the optimizer's
    new state. The model is the tree's dense layers, an activation between two; now and then the
    loss adds an L2 penalty over every kernel of the tree."""
    x = _batch_leading(w, _dim(w, 2), dtype, extra=False)
    leaves = _tree_layout(w, dtype, inputs=x.vtype.shape[-1])
    params = w.tree(TREE_NAME, leaves)
    layers = sorted({path[:-1] for path in leaves})  # (), ('Dense_0',), or an MLP's (0,) and (1,)
    form = w.chooser.choice(LOSS_FORMS)

    def kernel_of(layer):
        return layer + (("kernel",) if layer == ("Dense_0",) else ("w",))

    def objective(p):
        h = x
        for k, layer in enumerate(layers):
            bias = layer + (("bias",) if layer == ("Dense_0",) else ("b",))
            h = _affine(w, h, w.tree_leaf(p, kernel_of(layer)), w.tree_leaf(p, bias))
            if k < len(layers) - 1:
                h = activation(w, h)
        value = loss_value(w, h, form, bind=lambda v: v)
        if w.chooser.chance(0.3):  # an L2 penalty over every kernel of the tree, as weight decay in the loss
            total = None
            for layer in layers:
                term = w.apply_plain("sum", w.apply("square", w.tree_leaf(p, kernel_of(layer))))
                total = term if total is None else w.apply("add", total, term)
            value = w.apply("add", value, w.apply("multiply", w.chooser.choice((1e-4, 1e-3, 5e-4)), total))
        return value

    with_value = w.chooser.chance(0.7)
    gradient = w.tree_gradient(objective, params, with_value=with_value)
    total, grads = gradient if with_value else (None, gradient)
    new, state = _tree_step(w, dtype, leaves, params, grads, leaves_readable=False)
    parts = [new, state] if state is not None and w.chooser.chance(0.3) else [new]
    if total is not None and w.chooser.chance(0.6):  # the loss logged beside the new parameters
        parts.insert(0 if w.chooser.chance(0.6) else len(parts), total)
    return w.results(*parts) if len(parts) > 1 else new


def _affine(w: Walk, h, kernel, bias):
    """``h @ kernel + bias``, or with ``jnp.dot`` or ``jnp.einsum('...i,io->...o', ...)``."""
    spelling = w.chooser.choice(("matmul_operator",) * 3 + ("einsum", "dot" if h.vtype.rank <= 2 else "matmul"))
    if spelling == "einsum":
        return w.apply("add", w.apply("einsum", h, kernel, subscripts=Subscripts("...i,io->...o")), bias)
    return w.apply("add", w.apply(spelling, h, kernel), bias)
