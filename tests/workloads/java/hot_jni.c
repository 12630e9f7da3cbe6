// SPDX-License-Identifier: MIT
/* The native half of HotJni.java: HotJni.nativeSpin spins in C, then calls HotJni.javaCallback
 * back, and tells Java the thread CPU time each part took. */
#include <jni.h>
#include <time.h>

static long long thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* About 10 ms, of a length that varies from call to call: a part about as long as the sampling
 * period every time (it was ~2 ms) is sampled at the same phase call after call, and its share
 * in the profile drifts from the measured one by that rhythm alone (5 points, either way). */
__attribute__((noinline)) static jlong c_spin(jlong x)
{
	volatile jlong s = x;
	int n = 8000000 + (int)((unsigned long long)x % 4000000);

	for (int i = 0; i < n; i++)
		s = s * 2862933555777941757LL + i;
	return s;
}

JNIEXPORT jlong JNICALL Java_HotJni_nativeSpin(JNIEnv *env, jclass cls, jlong x)
{
	jmethodID cb = (*env)->GetStaticMethodID(env, cls, "javaCallback", "(J)J");
	jmethodID acc = (*env)->GetStaticMethodID(env, cls, "account", "(JJ)V");
	long long t0 = thread_ns(), t1, t2;

	x = c_spin(x);
	t1 = thread_ns();
	if (cb)
		x = (*env)->CallStaticLongMethod(env, cls, cb, x);
	t2 = thread_ns();
	if (acc)
		(*env)->CallStaticVoidMethod(env, cls, acc, (jlong)(t1 - t0), (jlong)(t2 - t1));
	return x;
}
