import no_such_module_anywhere


def greet():
    return "hi"
