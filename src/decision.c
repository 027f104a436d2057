/* placeholder: being written */
typedef int tg__placeholder_decision;
